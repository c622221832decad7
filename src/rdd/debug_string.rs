//! Lineage as text, like Spark's `toDebugString`.
//!
//! In: an RDD. Out: one line `(N) name [id]` per RDD. RDDs of the same stage
//! hang under their child behind `|  `; a shuffle dependency starts a new,
//! further indented stage behind ` +-`. When an RDD has several parents, each
//! parent's own ancestors are indented one level more.
//!
//! ```text
//! (2) reduce_by_key [3]
//!  +-(3) map [2]
//!     |  (3) flat_map [1]
//!     |  (3) parallelize [0]
//! ```

use std::sync::Arc;

use crate::rdd::dependency::Dependency;
use crate::rdd::rdd::RddBase;

/// The lineage of `rdd`, one line per RDD, ending in a newline.
pub fn debug_string(rdd: &Arc<dyn RddBase>) -> String {
    let mut out = String::new();
    render(rdd, "", "", &mut out);
    out
}

fn render(node: &Arc<dyn RddBase>, line_prefix: &str, body: &str, out: &mut String) {
    if node.transparent()
        && let [Dependency::Narrow(narrow)] = node.dependencies().as_slice()
    {
        return render(narrow.rdd(), line_prefix, body, out);
    }
    out.push_str(&format!(
        "{line_prefix}({}) {} [{}]\n",
        node.num_partitions(),
        node.name(),
        node.id()
    ));
    let deps = node.dependencies();
    let several = deps.len() > 1;
    for dep in deps {
        match dep {
            Dependency::Narrow(narrow) => {
                let line = format!("{body}|  ");
                let child_body = if several {
                    line.clone()
                } else {
                    body.to_string()
                };
                render(narrow.rdd(), &line, &child_body, out);
            }
            Dependency::Shuffle(shuffle) => {
                render(
                    &shuffle.parent(),
                    &format!("{body} +-"),
                    &format!("{body}    "),
                    out,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn shuffle_boundary_is_marked() {
        let ctx = RddContext::new(RddConfig::default());
        let lines = ctx.parallelize(vec!["a b", "b"], 3); // [0]
        let words = lines.flat_map(|l| l.split(' ').collect::<Vec<_>>()); // [1]
        let pairs = words.map(|w| (w, 1)); // [2]
        let counts = pairs.reduce_by_key(|a, b| a + b, 2); // [3] map side, [4] shuffle, [5] reduce side
        let text = counts.to_debug_string();
        let expected = "\
(2) reduce_by_key [5]
|  (2) shuffle [4]
 +-(3) reduce_by_key (map side) [3]
    |  (3) map [2]
    |  (3) flat_map [1]
    |  (3) parallelize [0]
";
        assert_eq!(text, expected);
    }

    #[test]
    fn several_parents_are_nested() {
        let ctx = RddContext::new(RddConfig::default());
        let a = ctx.parallelize(vec![1], 1).map(|x| x + 1);
        let b = ctx.parallelize(vec![2], 2);
        let text = a.union(&[b]).to_debug_string();
        let expected = "\
(3) union [3]
|  (1) map [1]
|  |  (1) parallelize [0]
|  (2) parallelize [2]
";
        assert_eq!(text, expected);
    }
}
