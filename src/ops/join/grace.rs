//! Grace hash join: a hash join whose build side does not fit its memory, run part by
//! part from spill files.
//!
//! In: a [`JoinSpec`] (kind, keys of both sides, filter, schemas), an
//! [`OperatorMemory`] that may spill, the build rows (streamed into
//! [`collect_build`], or already split by [`spill_build`] when a broadcast is shared by
//! many tasks) and a stream of probe rows. Out: the joined rows as a lazy stream
//! ([`GraceJoin`]), the same rows an in-memory [`HashJoinProbe`] gives, in another
//! order.
//!
//! Both sides are split into [`GRACE_PARTS`] spill files by a hash of their keys (probe
//! keys cast to the build keys' types first, so equal keys hash alike), salted per
//! level so that rows an exchange sent to one partition still spread. Each part is then
//! joined alone: its build rows are read back, reserved and indexed, and its probe rows
//! streamed through. A part that still does not fit is split again with the next
//! level's salt, up to [`MAX_LEVELS`] levels; a part whose build rows all share one key
//! cannot be split, and fails with [`EmberError::ResourcesExhausted`] naming the
//! operator. Rows with a NULL key match nothing, so where they land does not change
//! what comes out: build rows with a NULL key are dropped unless the join emits its
//! unmatched build rows (Right, Full), and are then spread evenly over the parts, as
//! probe rows with a NULL key are. A null-aware anti join (`NOT IN`) without a filter
//! runs this way too: a NULL among the build keys makes its output empty, and
//! otherwise its probe rows with a NULL key are dropped before the split (against a
//! non-empty set their comparison is unknown), which leaves a plain anti join per
//! part. Null-aware mark joins (`IN` whose NULLs count) and null-aware anti joins with
//! a filter need the whole build side at once and are not run this way.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};
use arrow::datatypes::{DataType, SchemaRef};
use ember_planner::logical::JoinKind;
use ember_planner::physical::PhysExpr;

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use crate::expr::evaluate;
use crate::memory::{OperatorMemory, SpillFile, SpillWriter};
use crate::ops::batch_bytes;
use crate::ops::hash::{hash_columns, part_of_hash};
use crate::ops::join::hash_join::{HashJoinProbe, JoinHashTable, ProbeStream, key_validity};

/// Parts each side is split into at each level.
pub const GRACE_PARTS: usize = 16;

/// Levels of splitting: a part still too large after this many fails.
pub const MAX_LEVELS: u32 = 4;

/// Bytes of index per build row: a map entry and the row's chain link.
pub const INDEX_BYTES_PER_ROW: u64 = 16;

/// Rows of one part are gathered up to this many bytes before they are written, so
/// that spill files hold batches of a useful size.
const FLUSH_BYTES: u64 = 64 << 10;

/// Memory to reserve for building a table over `rows` rows of `bytes`: the rows, their
/// concatenated copy and the index.
pub fn build_reservation(bytes: u64, rows: usize) -> u64 {
    2 * bytes + rows as u64 * INDEX_BYTES_PER_ROW
}

/// What a hash join is: its kind, keys, filter and schemas.
#[derive(Debug)]
pub struct JoinSpec {
    kind: JoinKind,
    build_keys: Vec<PhysExpr>,
    probe_keys: Vec<PhysExpr>,
    filter: Option<PhysExpr>,
    build_schema: SchemaRef,
    output_schema: SchemaRef,
    /// The build keys' types: probe keys are cast to them before hashing.
    key_types: Vec<DataType>,
}

impl JoinSpec {
    /// A join of `kind` of probe rows against build rows of `build_schema`.
    pub fn new(
        kind: JoinKind,
        build_keys: Vec<PhysExpr>,
        probe_keys: Vec<PhysExpr>,
        filter: Option<PhysExpr>,
        build_schema: SchemaRef,
        output_schema: SchemaRef,
    ) -> Result<Arc<Self>> {
        let empty = RecordBatch::new_empty(build_schema.clone());
        let key_types = build_keys
            .iter()
            .map(|k| Ok(evaluate(k, &empty)?.data_type().clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(JoinSpec {
            kind,
            build_keys,
            probe_keys,
            filter,
            build_schema,
            output_schema,
            key_types,
        }))
    }

    /// The join kind.
    pub fn kind(&self) -> JoinKind {
        self.kind
    }

    /// Whether the join can run part by part.
    pub fn runs_in_parts(&self) -> bool {
        match self.kind {
            JoinKind::Inner
            | JoinKind::Left
            | JoinKind::Right
            | JoinKind::Full
            | JoinKind::LeftSemi
            | JoinKind::LeftAnti
            | JoinKind::LeftMark => true,
            JoinKind::LeftAntiNullAware => self.filter.is_none(),
            _ => false,
        }
    }

    /// A table over `batches` of build rows.
    pub fn build_table(&self, batches: Vec<RecordBatch>) -> Result<JoinHashTable> {
        JoinHashTable::build(batches, &self.build_keys, self.build_schema.clone())
    }

    /// A probe of `table`.
    pub fn probe(&self, table: Arc<JoinHashTable>) -> HashJoinProbe {
        HashJoinProbe::new(
            table,
            self.kind,
            self.probe_keys.clone(),
            self.filter.clone(),
            self.output_schema.clone(),
        )
    }

    /// Whether unmatched build rows come out (Right and Full joins).
    fn emits_build_rows(&self) -> bool {
        matches!(self.kind, JoinKind::Right | JoinKind::Full)
    }

    /// Whether unmatched probe rows come out (all but Inner, Semi and Right joins).
    fn emits_probe_rows(&self) -> bool {
        !matches!(
            self.kind,
            JoinKind::Inner | JoinKind::LeftSemi | JoinKind::Right
        )
    }
}

/// Which side a [`PartWriter`] splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Build,
    Probe,
}

/// The part of a key hash at `level`: the hash mixed again with the level's salt, so
/// that each level (and the exchange before the join) splits rows independently.
fn part_of(hash: u64, level: u32) -> usize {
    let salt = u64::from(level + 1).wrapping_mul(0xA076_1D64_78BD_642F);
    part_of_hash(hash, salt, GRACE_PARTS)
}

/// One part's rows on disk and what is known of its keys.
#[derive(Debug, Clone)]
pub struct BuildPart {
    /// Its rows; none when no row landed in it.
    file: Option<Arc<SpillFile>>,
    /// True when every row has the same key hash (and none a NULL key): splitting it
    /// again cannot make it smaller.
    one_key: bool,
    /// What was seen of the whole build side (the same in every part).
    whole: WholeSide,
}

/// What a null-aware anti join needs to know of its whole build side.
#[derive(Debug, Clone, Copy, Default)]
struct WholeSide {
    /// Rows seen, NULL keys included.
    rows: u64,
    /// Whether some row has a NULL key.
    null_key: bool,
}

/// One part being written.
#[derive(Default)]
struct PartBuffer {
    writer: Option<SpillWriter>,
    pending: Vec<RecordBatch>,
    pending_bytes: u64,
    first_hash: Option<u64>,
    one_hash: bool,
    null_rows: usize,
}

/// Splits batches of one side into [`GRACE_PARTS`] spill files by the hash of their keys.
struct PartWriter<'a> {
    spec: &'a JoinSpec,
    side: Side,
    level: u32,
    schema: SchemaRef,
    parts: Vec<PartBuffer>,
    /// The part the next row with a NULL key goes to.
    spread: usize,
    /// Whether rows with a NULL key are kept (spread over the parts) or dropped.
    keep_null_keys: bool,
    whole: WholeSide,
    hashes: Vec<u64>,
}

impl<'a> PartWriter<'a> {
    fn new(spec: &'a JoinSpec, side: Side, level: u32, schema: SchemaRef) -> Self {
        PartWriter {
            spec,
            side,
            level,
            schema,
            parts: (0..GRACE_PARTS)
                .map(|_| PartBuffer {
                    one_hash: true,
                    ..PartBuffer::default()
                })
                .collect(),
            spread: 0,
            keep_null_keys: side == Side::Probe || spec.emits_build_rows(),
            whole: WholeSide::default(),
            hashes: Vec::new(),
        }
    }

    /// Drops the rows with a NULL key instead.
    fn dropping_null_keys(mut self) -> Self {
        self.keep_null_keys = false;
        self
    }

    fn key_columns(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        let keys = match self.side {
            Side::Build => &self.spec.build_keys,
            Side::Probe => &self.spec.probe_keys,
        };
        keys.iter()
            .zip(&self.spec.key_types)
            .map(|(k, t)| cast_array(&evaluate(k, batch)?, t))
            .collect()
    }

    /// Splits `batch` over the parts.
    fn write(&mut self, batch: &RecordBatch, memory: &OperatorMemory) -> Result<()> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let columns = self.key_columns(batch)?;
        let valid = key_validity(&columns);
        hash_columns(&columns, rows, &mut self.hashes)?;
        self.whole.rows += rows as u64;
        let mut indices: Vec<Vec<u32>> = vec![Vec::new(); GRACE_PARTS];
        for (row, hash) in self.hashes.iter().enumerate() {
            let part = if valid.as_ref().is_some_and(|v| v.is_null(row)) {
                self.whole.null_key = true;
                if !self.keep_null_keys {
                    continue;
                }
                let part = self.spread;
                self.spread = (self.spread + 1) % GRACE_PARTS;
                self.parts[part].null_rows += 1;
                part
            } else {
                let part = part_of(*hash, self.level);
                let buffer = &mut self.parts[part];
                match buffer.first_hash {
                    None => buffer.first_hash = Some(*hash),
                    Some(first) if first != *hash => buffer.one_hash = false,
                    Some(_) => {}
                }
                part
            };
            indices[part].push(row as u32);
        }
        for (part, rows_of_part) in indices.into_iter().enumerate() {
            if rows_of_part.is_empty() {
                continue;
            }
            let piece = if rows_of_part.len() == rows {
                batch.clone()
            } else {
                take_record_batch(batch, &UInt32Array::from(rows_of_part))?
            };
            let buffer = &mut self.parts[part];
            buffer.pending_bytes += batch_bytes(&piece);
            buffer.pending.push(piece);
            if buffer.pending_bytes >= FLUSH_BYTES {
                flush(buffer, &self.schema, memory)?;
            }
        }
        Ok(())
    }

    /// Splits every batch of `batches`, then closes the files.
    fn split_all(
        mut self,
        batches: impl IntoIterator<Item = Result<RecordBatch>>,
        memory: &OperatorMemory,
    ) -> Result<Vec<BuildPart>> {
        for batch in batches {
            self.write(&batch?, memory)?;
        }
        self.finish(memory)
    }

    /// Closes the files: one per part, none where no row landed.
    fn finish(mut self, memory: &OperatorMemory) -> Result<Vec<BuildPart>> {
        let mut out = Vec::with_capacity(GRACE_PARTS);
        for buffer in &mut self.parts {
            flush(buffer, &self.schema, memory)?;
            let one_key = buffer.one_hash && buffer.null_rows == 0;
            let file = match buffer.writer.take() {
                Some(writer) => {
                    let file = writer.finish()?;
                    memory.record_spill(&file);
                    Some(Arc::new(file))
                }
                None => None,
            };
            out.push(BuildPart {
                file,
                one_key,
                whole: self.whole,
            });
        }
        Ok(out)
    }
}

/// Writes a part's gathered rows as one batch.
fn flush(buffer: &mut PartBuffer, schema: &SchemaRef, memory: &OperatorMemory) -> Result<()> {
    if buffer.pending.is_empty() {
        return Ok(());
    }
    let batch = match buffer.pending.len() {
        1 => buffer.pending.remove(0),
        _ => concat_batches(schema, &buffer.pending)?,
    };
    buffer.pending.clear();
    buffer.pending_bytes = 0;
    let writer = match &mut buffer.writer {
        Some(w) => w,
        slot => slot.insert(memory.spill_file(schema)?),
    };
    writer.write(&batch)
}

/// Splits one side's batches into parts at `level`.
fn split_side(
    spec: &JoinSpec,
    side: Side,
    level: u32,
    schema: SchemaRef,
    batches: impl IntoIterator<Item = Result<RecordBatch>>,
    memory: &OperatorMemory,
) -> Result<Vec<BuildPart>> {
    PartWriter::new(spec, side, level, schema).split_all(batches, memory)
}

/// Splits build rows already in memory into parts (a broadcast build side that does
/// not fit: every probe task then joins with its parts).
pub fn spill_build(
    spec: &JoinSpec,
    batches: Vec<RecordBatch>,
    memory: &OperatorMemory,
) -> Result<Vec<BuildPart>> {
    split_side(
        spec,
        Side::Build,
        0,
        spec.build_schema.clone(),
        batches.into_iter().map(Ok),
        memory,
    )
}

/// A task's build side: in memory (reserved in the handle, to build one table from)
/// or split into parts on disk.
pub enum BuildSide {
    /// Every build row, and their bytes (given back once the table is built).
    InMemory {
        /// The build rows.
        batches: Vec<RecordBatch>,
        /// Their bytes.
        bytes: u64,
    },
    /// The build rows split into parts.
    Spilled(Vec<BuildPart>),
}

/// Reads the build rows of a task, reserving as it goes; when the reservation is
/// refused and the join can run part by part, every build row goes to parts on disk
/// instead and the reservation is given back. A join that cannot spill fails with the
/// refusal.
pub fn collect_build(
    spec: &JoinSpec,
    memory: &mut OperatorMemory,
    mut input: impl Iterator<Item = Result<RecordBatch>>,
) -> Result<BuildSide> {
    let mut batches = Vec::new();
    let mut bytes = 0;
    while let Some(batch) = input.next() {
        let batch = batch?;
        let more = batch_bytes(&batch);
        if let Err(refused) = memory.try_grow(build_reservation(more, batch.num_rows())) {
            if !(memory.can_spill() && spec.runs_in_parts()) {
                return Err(refused);
            }
            let schema = spec.build_schema.clone();
            let mut writer = PartWriter::new(spec, Side::Build, 0, schema);
            for held in std::mem::take(&mut batches) {
                writer.write(&held, memory)?;
            }
            // What was held is on disk now.
            memory.free();
            let rest = std::iter::once(Ok(batch)).chain(input);
            return Ok(BuildSide::Spilled(writer.split_all(rest, memory)?));
        }
        bytes += more;
        batches.push(batch);
    }
    Ok(BuildSide::InMemory { batches, bytes })
}

/// Batches read back from a spill file.
type SpillStream = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// A part waiting to be joined.
struct PendingPart {
    build: Option<Arc<SpillFile>>,
    probe: Option<Arc<SpillFile>>,
    level: u32,
    one_key: bool,
}

/// The part being joined: its probe stream, and its files, kept until it ends.
struct CurrentPart {
    stream: ProbeStream<SpillStream>,
    _part: PendingPart,
}

/// A hash join run part by part from spill files; yields the joined rows.
pub struct GraceJoin {
    spec: Arc<JoinSpec>,
    memory: OperatorMemory,
    probe_schema: SchemaRef,
    pending: Vec<PendingPart>,
    current: Option<CurrentPart>,
    failed: bool,
}

impl GraceJoin {
    /// Splits the probe rows of `probe` (of `probe_schema`) into parts like
    /// `build_parts`, then joins part by part as the stream is read; `memory` holds
    /// each part's table while it is probed.
    pub fn new(
        spec: Arc<JoinSpec>,
        memory: OperatorMemory,
        build_parts: Vec<BuildPart>,
        probe_schema: SchemaRef,
        probe: impl Iterator<Item = Result<RecordBatch>>,
    ) -> Result<Self> {
        if build_parts.len() != GRACE_PARTS {
            return Err(EmberError::internal(format!(
                "a grace join's build side has {} parts, not {GRACE_PARTS}",
                build_parts.len()
            )));
        }
        let whole = build_parts.first().map(|p| p.whole).unwrap_or_default();
        let not_in = spec.kind == JoinKind::LeftAntiNullAware;
        let mut pending: Vec<PendingPart> = Vec::new();
        // NOT IN a set holding NULL is never true: nothing comes out.
        if !(not_in && whole.null_key) {
            let mut probe_split = PartWriter::new(&spec, Side::Probe, 0, probe_schema.clone());
            // NOT IN a non-empty set is unknown for a NULL.
            if not_in && whole.rows > 0 {
                probe_split = probe_split.dropping_null_keys();
            }
            let probe_parts = probe_split.split_all(probe, &memory)?;
            pending = build_parts
                .into_iter()
                .zip(probe_parts)
                .map(|(build, probe)| PendingPart {
                    build: build.file,
                    probe: probe.file,
                    level: 0,
                    one_key: build.one_key,
                })
                .collect();
            // Parts are taken from the end: the first part goes first.
            pending.reverse();
        }
        Ok(GraceJoin {
            spec,
            memory,
            probe_schema,
            pending,
            current: None,
            failed: false,
        })
    }

    /// Starts joining `part`: builds its table, or splits it again when it does not fit.
    fn start(&mut self, part: PendingPart) -> Result<()> {
        if part.probe.is_none() && !self.spec.emits_build_rows() {
            return Ok(());
        }
        if part.build.is_none() && !self.spec.emits_probe_rows() {
            return Ok(());
        }
        let (batches, bytes) = match &part.build {
            None => (Vec::new(), 0),
            Some(file) => {
                let rows = file.rows();
                if let Err(refused) = self.memory.try_grow(build_reservation(file.bytes(), rows)) {
                    return self.split(part, refused);
                }
                let batches = file.read()?.collect::<Result<Vec<_>>>()?;
                let bytes: u64 = batches.iter().map(batch_bytes).sum();
                if let Err(refused) = self.memory.try_resize(build_reservation(bytes, rows)) {
                    drop(batches);
                    self.memory.free();
                    return self.split(part, refused);
                }
                (batches, bytes)
            }
        };
        let table = Arc::new(self.spec.build_table(batches)?);
        self.memory.shrink(bytes);
        let input: SpillStream = match &part.probe {
            Some(file) => Box::new(file.read()?),
            None => Box::new(std::iter::empty()),
        };
        self.current = Some(CurrentPart {
            stream: ProbeStream::new(self.spec.probe(table), input, None),
            _part: part,
        });
        Ok(())
    }

    /// Splits a part that does not fit into parts of the next level, or fails with
    /// `refused` when it cannot be split.
    fn split(&mut self, part: PendingPart, refused: EmberError) -> Result<()> {
        let EmberError::ResourcesExhausted(mut refused) = refused else {
            return Err(refused);
        };
        if part.one_key {
            refused.resource = "memory for the build rows of one join key";
            return Err(EmberError::ResourcesExhausted(refused));
        }
        let level = part.level + 1;
        if level >= MAX_LEVELS {
            refused.resource = if self.one_key_too_large(&part, refused.cap)? {
                "memory for the build rows of one join key"
            } else {
                "memory for one part of its build side, split 4 times"
            };
            return Err(EmberError::ResourcesExhausted(refused));
        }
        let read = |file: &Option<Arc<SpillFile>>| -> Result<SpillStream> {
            Ok(match file {
                Some(f) => Box::new(f.read()?),
                None => Box::new(std::iter::empty()),
            })
        };
        let build = split_side(
            &self.spec,
            Side::Build,
            level,
            self.spec.build_schema.clone(),
            read(&part.build)?,
            &self.memory,
        )?;
        let probe = split_side(
            &self.spec,
            Side::Probe,
            level,
            self.probe_schema.clone(),
            read(&part.probe)?,
            &self.memory,
        )?;
        drop(part);
        for (build, probe) in build.into_iter().zip(probe).rev() {
            self.pending.push(PendingPart {
                build: build.file,
                probe: probe.file,
                level,
                one_key: build.one_key,
            });
        }
        Ok(())
    }

    /// Whether the build rows of the most common key in `part` alone need more than
    /// `cap` bytes (a part's bytes shared out by rows).
    fn one_key_too_large(&self, part: &PendingPart, cap: u64) -> Result<bool> {
        let Some(file) = &part.build else {
            return Ok(false);
        };
        let schema = self.spec.build_schema.clone();
        let writer = PartWriter::new(&self.spec, Side::Build, part.level, schema);
        let mut rows_by_key: hashbrown::HashMap<u64, usize> = hashbrown::HashMap::new();
        let mut hashes = Vec::new();
        for batch in file.read()? {
            let batch = batch?;
            let columns = writer.key_columns(&batch)?;
            let valid = key_validity(&columns);
            hash_columns(&columns, batch.num_rows(), &mut hashes)?;
            for (row, h) in hashes.iter().enumerate() {
                // Rows with a NULL key are spread over the parts, not one key.
                if valid.as_ref().is_none_or(|v| v.is_valid(row)) {
                    *rows_by_key.entry(*h).or_default() += 1;
                }
            }
        }
        let largest = rows_by_key.values().copied().max().unwrap_or(0);
        let bytes = file.bytes() * largest as u64 / file.rows().max(1) as u64;
        Ok(build_reservation(bytes, largest) > cap)
    }

    fn fail(&mut self, error: EmberError) -> Option<Result<RecordBatch>> {
        self.failed = true;
        self.current = None;
        self.pending.clear();
        self.memory.free();
        Some(Err(error))
    }
}

impl Iterator for GraceJoin {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(current) = &mut self.current {
                match current.stream.next() {
                    Some(Ok(batch)) => return Some(Ok(batch)),
                    Some(Err(e)) => return self.fail(e),
                    None => {
                        // The part is done: its table and files go.
                        self.current = None;
                        self.memory.free();
                    }
                }
            }
            let part = self.pending.pop()?;
            if let Err(e) = self.start(part) {
                return self.fail(e);
            }
        }
    }
}
