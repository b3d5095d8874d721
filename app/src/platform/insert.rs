//! An INSERT whose columns are each named once, beside the value they take: the column list and
//! the placeholders are written from the same list, so adding a column cannot shift another's
//! value or leave a placeholder without one. (sqlx's `QueryBuilder` would do this, but for the
//! `Any` driver it writes `?` placeholders, which PostgreSQL refuses.) [`Update`] does the same
//! for an UPDATE, and [`Columns`] lets a row's columns be listed once for both.

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

/// An UPDATE whose columns and conditions are each named once, beside the value they take.
pub struct Update<'q> {
    table: &'static str,
    assignments: Vec<String>,
    conditions: Vec<String>,
    args: AnyArguments<'q>,
    // The first value that could not be encoded: the query fails with it when run.
    failed: Option<BoxDynError>,
}

impl<'q> Update<'q> {
    pub fn table(table: &'static str) -> Self {
        Update {
            table,
            assignments: Vec::new(),
            conditions: Vec::new(),
            args: AnyArguments::default(),
            failed: None,
        }
    }

    /// The next placeholder, for `value`.
    fn placeholder<T>(&mut self, value: T) -> String
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.failed.get_or_insert(e);
        }
        format!("${}", self.args.len())
    }

    /// `column` takes `value`.
    pub fn set<T>(mut self, column: impl Into<String>, value: T) -> Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        let placeholder = self.placeholder(value);
        self.assignments
            .push(format!("{} = {placeholder}", column.into()));
        self
    }

    /// Only rows whose `column` equals `value` change, and that meet the other conditions too.
    pub fn where_eq<T>(mut self, column: impl Into<String>, value: T) -> Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        let placeholder = self.placeholder(value);
        self.conditions
            .push(format!("{} = {placeholder}", column.into()));
        self
    }

    /// The statement, with `tail` after its conditions (`RETURNING id`), and its arguments: run
    /// it with `sqlx::query_with(&sql, arguments)`. A value that could not be encoded, or an
    /// UPDATE without a condition (it would change every row) or without a column (invalid
    /// SQL), is the server's fault.
    pub fn build(self, tail: &str) -> Result<(String, AnyArguments<'q>), AppError> {
        if let Some(e) = self.failed {
            return Err(AppError::internal(format_args!(
                "a value for UPDATE {}: {e}",
                self.table
            )));
        }
        if self.conditions.is_empty() {
            return Err(AppError::internal(format_args!(
                "UPDATE {} without a condition",
                self.table
            )));
        }
        if self.assignments.is_empty() {
            return Err(AppError::internal(format_args!(
                "UPDATE {} without a column to set",
                self.table
            )));
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE {}{}{}",
            self.table,
            self.assignments.join(", "),
            self.conditions.join(" AND "),
            if tail.is_empty() { "" } else { " " },
            tail
        );
        Ok((sql, self.args))
    }
}

/// What an [`Insert`] and an [`Update`] share: columns taking values. A row's columns listed
/// once, in a function generic over this, serve both the statement that adds the row and the
/// one that changes it.
pub trait Columns<'q>: Sized {
    /// `column` takes `value`.
    fn set<T>(self, column: impl Into<String>, value: T) -> Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>;
}

impl<'q> Columns<'q> for Insert<'q> {
    fn set<T>(self, column: impl Into<String>, value: T) -> Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.value(column, value)
    }
}

impl<'q> Columns<'q> for Update<'q> {
    fn set<T>(self, column: impl Into<String>, value: T) -> Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        Update::set(self, column, value)
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

    #[test]
    fn an_update_numbers_its_conditions_after_its_columns() {
        let (sql, args) = Update::table("addresses")
            .set("name", "王芳")
            .set("line2", None::<String>)
            .set("updated_at", 1_i64)
            .where_eq("id", 3_i64)
            .where_eq("customer_id", 7_i64)
            .build("")
            .expect("every value encodes");
        assert_eq!(
            sql,
            "UPDATE addresses SET name = $1, line2 = $2, updated_at = $3 \
             WHERE id = $4 AND customer_id = $5"
        );
        assert_eq!(args.len(), 5);
    }

    #[test]
    fn an_update_ends_with_its_tail() {
        let (sql, args) = Update::table("t")
            .set("a", 1_i64)
            .where_eq("id", 2_i64)
            .build("RETURNING id")
            .expect("every value encodes");
        assert_eq!(sql, "UPDATE t SET a = $1 WHERE id = $2 RETURNING id");
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn an_update_without_a_condition_is_refused() {
        assert!(Update::table("t").set("a", 1_i64).build("").is_err());
    }

    #[test]
    fn an_update_without_a_column_is_refused() {
        assert!(Update::table("t").where_eq("id", 1_i64).build("").is_err());
    }

    /// Columns listed once, as a caller shares them between its INSERT and its UPDATE.
    fn shared<'q, C: Columns<'q>>(columns: C) -> C {
        columns.set("a", 1_i64).set("b", "two")
    }

    #[test]
    fn shared_columns_serve_an_insert_and_an_update_alike() {
        let (insert, args) = shared(Insert::into("t"))
            .value("created_at", 3_i64)
            .build("RETURNING id")
            .expect("every value encodes");
        assert_eq!(
            insert,
            "INSERT INTO t (a, b, created_at) VALUES ($1, $2, $3) RETURNING id"
        );
        assert_eq!(args.len(), 3);
        let (update, args) = shared(Update::table("t"))
            .where_eq("id", 4_i64)
            .build("")
            .expect("every value encodes");
        assert_eq!(update, "UPDATE t SET a = $1, b = $2 WHERE id = $3");
        assert_eq!(args.len(), 3);
    }
}
