//! The SQL of the raw counts and the drill-downs, with its arguments numbered as they are added.

use crate::crm::kpis::KpiFilters;
use crate::error::AppError;
use crate::platform::Db;

#[derive(Clone)]
pub(super) enum Arg {
    Int(i64),
    Text(String),
}

/// SQL with `$n` placeholders numbered as arguments are added.
#[derive(Default)]
pub(super) struct Sql {
    pub(super) text: String,
    pub(super) args: Vec<Arg>,
}

impl Sql {
    pub(super) fn int(&mut self, v: i64) -> String {
        self.args.push(Arg::Int(v));
        format!("${}", self.args.len())
    }

    fn text(&mut self, v: &str) -> String {
        self.args.push(Arg::Text(v.to_string()));
        format!("${}", self.args.len())
    }

    /// `AND ...` for each filter. `owner` is the alias of the row that keeps the tier and
    /// industry it was counted under and its customer (the shipment or the complaint);
    /// `shipment` the one with the service and destination.
    pub(super) fn filters(&mut self, f: &KpiFilters, owner: &str, shipment: &str) -> String {
        let mut out = String::new();
        if let Some(t) = f.tier {
            out += &format!(" AND {owner}.tier = {}", self.text(t.as_str()));
        }
        if let Some(i) = f.industry {
            out += &format!(" AND {owner}.industry = {}", self.text(i.as_str()));
        }
        if let Some(s) = f.service {
            out += &format!(" AND {shipment}.service = {}", self.text(s.as_str()));
        }
        if let Some(a) = &f.area {
            out += &format!(" AND {shipment}.recipient_city = {}", self.text(a));
        }
        if let Some(id) = f.customer {
            out += &format!(" AND {owner}.customer_id = {}", self.int(id));
        }
        out
    }

    pub(super) async fn fetch(self, db: &Db) -> Result<Vec<sqlx::any::AnyRow>, AppError> {
        let mut q = sqlx::query(&self.text);
        for a in self.args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
            };
        }
        Ok(q.fetch_all(&db.pool).await?)
    }
}
