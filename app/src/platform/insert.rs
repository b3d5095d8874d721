//! An INSERT whose columns are each named once, beside the value they take: the column list and
//! the placeholders are written from the same list, so adding a column cannot shift another's
//! value or leave a placeholder without one. (sqlx's `QueryBuilder` would do this, but for the
//! `Any` driver it writes `?` placeholders, which PostgreSQL refuses.)

use sqlx::any::AnyArguments;
use sqlx::error::BoxDynError;
use sqlx::{Any, Arguments, Encode, Type};

use crate::error::AppError;

pub struct Insert<'q> {
    table: &'static str,
    columns: Vec<String>,
    values: Vec<String>,
    args: AnyArguments<'q>,
    // The first value that could not be encoded: the query fails with it when run.
    failed: Option<BoxDynError>,
}

impl<'q> Insert<'q> {
    pub fn into(table: &'static str) -> Self {
        Insert {
            table,
            columns: Vec::new(),
            values: Vec::new(),
            args: AnyArguments::default(),
            failed: None,
        }
    }

    /// `column` takes `value`.
    pub fn value<T>(self, column: impl Into<String>, value: T) -> Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.value_in(column, "{}", value)
    }

    /// `column` takes the SQL `expression`, whose `{}` is `value` (a subquery reading it, say).
    pub fn value_in<T>(mut self, column: impl Into<String>, expression: &str, value: T) -> Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.failed.get_or_insert(e);
        }
        let placeholder = format!("${}", self.args.len());
        self.columns.push(column.into());
        self.values.push(expression.replacen("{}", &placeholder, 1));
        self
    }

    /// The statement, with `tail` after its values (`ON CONFLICT ...`, `RETURNING id`), and its
    /// arguments: run it with `sqlx::query_with(&sql, arguments)`. A value that could not be
    /// encoded is the server's fault.
    pub fn build(self, tail: &str) -> Result<(String, AnyArguments<'q>), AppError> {
        if let Some(e) = self.failed {
            return Err(AppError::internal(format_args!(
                "a value for INSERT INTO {}: {e}",
                self.table
            )));
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}){}{}",
            self.table,
            self.columns.join(", "),
            self.values.join(", "),
            if tail.is_empty() { "" } else { " " },
            tail
        );
        Ok((sql, self.args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_column_gets_the_placeholder_of_its_own_value() {
        let (sql, args) = Insert::into("shipments")
            .value("customer_id", 7_i64)
            .value("tracking_number", "EA123456785CN".to_string())
            .value_in(
                "industry",
                "(SELECT industry FROM customers WHERE id = {})",
                7_i64,
            )
            .value("created_at", 1_i64)
            .build("ON CONFLICT (tracking_number) DO NOTHING RETURNING id")
            .expect("every value encodes");
        assert_eq!(
            sql,
            "INSERT INTO shipments (customer_id, tracking_number, industry, created_at) VALUES \
             ($1, $2, (SELECT industry FROM customers WHERE id = $3), $4) \
             ON CONFLICT (tracking_number) DO NOTHING RETURNING id"
        );
        assert_eq!(args.len(), 4);
    }

    #[test]
    fn without_a_tail_the_statement_ends_with_its_values() {
        let (sql, _) = Insert::into("t")
            .value("a", None::<String>)
            .build("")
            .expect("a None encodes");
        assert_eq!(sql, "INSERT INTO t (a) VALUES ($1)");
    }
}
