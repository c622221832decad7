//! The rows a grid shows of a result of unknown length: with a limit of N, the first
//! ceil(N/2) and the last floor(N/2) rows, and the count of all of them.
//!
//! In: row counts per batch and a function that renders one row of the batch. Out:
//! the head rows, how many were left out, the tail rows. Memory is bounded by N: a row
//! is rendered only when it may be shown (the head, or the last rows of a batch that
//! may end up in the tail) and the tail is a ring that drops its oldest row. Rendered
//! rows hold text, not Arrow buffers, so a kept row never pins a whole batch.

use std::collections::VecDeque;

/// The head and tail of a stream of rows, and how many went by.
#[derive(Debug)]
pub(crate) struct RowPreview<T> {
    head: Vec<T>,
    tail: VecDeque<T>,
    head_limit: usize,
    tail_limit: usize,
    total: u64,
}

/// What a preview kept.
#[derive(Debug)]
pub(crate) struct Preview<T> {
    /// The first rows.
    pub head: Vec<T>,
    /// Rows between the head and the tail, not kept.
    pub hidden: u64,
    /// The last rows.
    pub tail: Vec<T>,
}

impl<T> RowPreview<T> {
    /// Keeps up to `max_rows` rows; 0 keeps every row.
    pub(crate) fn new(max_rows: usize) -> Self {
        let (head_limit, tail_limit) = if max_rows == 0 {
            (usize::MAX, 0)
        } else {
            (max_rows.div_ceil(2), max_rows / 2)
        };
        RowPreview {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_limit,
            tail_limit,
            total: 0,
        }
    }

    /// Takes the next `rows` rows; `render(i)` gives row `i` of them, and is called only
    /// for rows that may be shown.
    pub(crate) fn push_rows<E>(
        &mut self,
        rows: usize,
        mut render: impl FnMut(usize) -> Result<T, E>,
    ) -> Result<(), E> {
        let mut next = 0;
        while next < rows && self.head.len() < self.head_limit {
            self.head.push(render(next)?);
            next += 1;
        }
        // Of the rest, only the last `tail_limit` can still be in the tail.
        let skip = (rows - next).saturating_sub(self.tail_limit);
        for row in next + skip..rows {
            if self.tail.len() == self.tail_limit {
                self.tail.pop_front();
            }
            self.tail.push_back(render(row)?);
        }
        self.total += rows as u64;
        Ok(())
    }

    /// The rows kept, in order, and how many lie between them.
    pub(crate) fn finish(self) -> Preview<T> {
        let kept = (self.head.len() + self.tail.len()) as u64;
        Preview {
            head: self.head,
            hidden: self.total - kept,
            tail: self.tail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds rows 0.. in batches of the given sizes; returns what was kept and how many
    /// rows were rendered.
    fn feed(max_rows: usize, batches: &[usize]) -> (Preview<u64>, u64, usize) {
        let mut preview = RowPreview::new(max_rows);
        let mut start = 0u64;
        let mut rendered = 0;
        for &n in batches {
            preview
                .push_rows(n, |i| {
                    rendered += 1;
                    Ok::<_, ()>(start + i as u64)
                })
                .unwrap();
            start += n as u64;
        }
        let p = preview.finish();
        let total = (p.head.len() + p.tail.len()) as u64 + p.hidden;
        (p, total, rendered)
    }

    #[test]
    fn keeps_head_and_tail_across_batches() {
        let (p, total, rendered) = feed(40, &[7; 143]);
        assert_eq!(total, 1001);
        assert_eq!(p.head, (0..20).collect::<Vec<_>>());
        assert_eq!(p.tail, (981..1001).collect::<Vec<_>>());
        assert_eq!(p.hidden, 961);
        // Batches smaller than the tail are rendered whole.
        assert_eq!(rendered, 1001);

        let (p, _, rendered) = feed(40, &[100_000, 100_000]);
        assert_eq!(p.head.len() + p.tail.len(), 40);
        assert_eq!(p.tail.last(), Some(&199_999));
        assert_eq!(rendered, 20 + 20 + 20, "only rows that may be shown");

        let (p, _, _) = feed(5, &[1, 1, 1, 1, 1, 1, 1]);
        assert_eq!((p.head, p.hidden, p.tail), (vec![0, 1, 2], 2, vec![5, 6]));
    }

    #[test]
    fn within_the_limit_or_without_one_every_row_is_kept() {
        let (p, _, _) = feed(40, &[10, 0, 30]);
        assert_eq!(p.hidden, 0);
        let all: Vec<u64> = p.head.into_iter().chain(p.tail).collect();
        assert_eq!(all, (0..40).collect::<Vec<_>>());

        let (p, _, _) = feed(0, &[1000, 7]);
        assert_eq!((p.head.len(), p.hidden, p.tail.len()), (1007, 0, 0));

        let (p, total, _) = feed(1, &[3]);
        assert_eq!((p.head, p.hidden, p.tail, total), (vec![0], 2, vec![], 3));
    }
}
