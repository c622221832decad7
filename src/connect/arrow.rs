//! Arrow IPC streams, the form rows take on the wire in Spark Connect: each result
//! batch goes out as one IPC stream (schema and batch), and `createDataFrame` sends its
//! rows as one.
//!
//! In: record batches or IPC bytes. Out: the other. May import `arrow` and
//! `crate::error`.

use std::io::Cursor;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;

use crate::error::{EmberError, Result};

/// One batch as an Arrow IPC stream.
pub fn batch_to_ipc(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = StreamWriter::try_new(&mut out, &batch.schema())?;
        writer.write(batch)?;
        writer.finish()?;
    }
    Ok(out)
}

/// The schema and batches of an Arrow IPC stream.
pub fn ipc_to_batches(data: &[u8]) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let reader = StreamReader::try_new(Cursor::new(data), None).map_err(|e| {
        EmberError::execution(format!("cannot read the rows sent as Arrow IPC: {e}"))
    })?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            EmberError::execution(format!("cannot read the rows sent as Arrow IPC: {e}"))
        })?;
    Ok((schema, batches))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn batches_survive_the_ipc_round_trip() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2]))])
                .unwrap();
        let (s, b) = ipc_to_batches(&batch_to_ipc(&batch).unwrap()).unwrap();
        assert_eq!(s, schema);
        assert_eq!(b, vec![batch]);
        assert!(ipc_to_batches(b"nope").is_err());
    }
}
