//! `--json`: the report as one JSON document (the model, serialized as it is).

use super::model::Report;
use crate::CliError;

pub fn render(report: &Report) -> Result<String, CliError> {
    serde_json::to_string_pretty(report)
        .map(|mut json| {
            json.push('\n');
            json
        })
        .map_err(|e| CliError::Failed(format!("cannot write JSON: {e}")))
}
