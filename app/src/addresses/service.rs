use super::{Address, AddressInput, MAX_CITY_CHARS, MAX_LINE_CHARS};
use crate::domain::{single_line, CompanyName, PersonName, PhoneNumber, Postcode};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::platform::gazetteer::{City, Gazetteer};
use crate::platform::insert::{Columns, Insert, Update};
use crate::platform::{now_ms, Db};

/// An address whose every part has been checked and whose city is known.
pub struct ParsedAddress {
    pub name: PersonName,
    pub company: Option<CompanyName>,
    pub phone: PhoneNumber,
    pub line1: String,
    pub line2: Option<String>,
    pub postcode: Postcode,
    pub city: &'static City,
}

/// Checks every field (reporting all problems at once) and resolves the city. Field names
/// are prefixed (`recipient.city`) when the address is part of a larger form.
pub fn parse(input: &AddressInput, prefix: &str) -> Result<ParsedAddress, AppError> {
    let gazetteer = Gazetteer::bundled();
    let mut errors = FieldErrors::new();
    let mut check = |field: &str, r: Result<(), FieldError>| {
        if let Err(e) = r {
            errors.insert(format!("{prefix}{field}"), e);
        }
    };
    let name = PersonName::parse(&input.name);
    check("name", name.as_ref().map(|_| ()).map_err(|e| *e));
    let company = CompanyName::parse_optional(&input.company);
    check("company", company.as_ref().map(|_| ()).map_err(|e| *e));
    let phone = PhoneNumber::parse(&input.phone);
    check("phone", phone.as_ref().map(|_| ()).map_err(|e| *e));
    let line1 = single_line(&input.line1, MAX_LINE_CHARS, true);
    check("line1", line1.as_ref().map(|_| ()).map_err(|e| *e));
    let line2 = single_line(&input.line2, MAX_LINE_CHARS, false);
    check("line2", line2.as_ref().map(|_| ()).map_err(|e| *e));

    let country = input.country.trim().to_ascii_uppercase();
    let country_known = country.len() == 2 && gazetteer.has_country(&country);
    check(
        "country",
        if country.is_empty() {
            Err(FieldError::Required)
        } else if country_known {
            Ok(())
        } else {
            Err(FieldError::CountryInvalid)
        },
    );
    let postcode = if country_known {
        let p = Postcode::parse(&country, &input.postcode);
        check("postcode", p.as_ref().map(|_| ()).map_err(|e| *e));
        p.ok()
    } else {
        None
    };
    let city = match single_line(&input.city, MAX_CITY_CHARS, true) {
        Err(e) => {
            check("city", Err(e));
            None
        }
        Ok(_) if !country_known => None,
        Ok(_) => {
            let found = gazetteer.find(&country, &input.city);
            check("city", found.map(|_| ()).ok_or(FieldError::CityUnknown));
            found
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    match (name, company, phone, line1, line2, postcode, city) {
        (
            Ok(name),
            Ok(company),
            Ok(phone),
            Ok(Some(line1)),
            Ok(line2),
            Some(postcode),
            Some(city),
        ) => Ok(ParsedAddress {
            name,
            company,
            phone,
            line1,
            line2,
            postcode,
            city,
        }),
        _ => Err(AppError::internal(
            "address checks passed with a field missing",
        )),
    }
}

#[derive(sqlx::FromRow)]
struct AddressRow {
    id: i64,
    name: String,
    company: Option<String>,
    phone: String,
    line1: String,
    line2: Option<String>,
    city: String,
    postcode: String,
    country: String,
    lat: f64,
    lon: f64,
}

impl From<AddressRow> for Address {
    fn from(r: AddressRow) -> Self {
        Address {
            id: r.id,
            name: r.name,
            company: r.company,
            phone: r.phone,
            line1: r.line1,
            line2: r.line2,
            city: r.city,
            postcode: r.postcode,
            country: r.country,
            lat: r.lat,
            lon: r.lon,
        }
    }
}

const COLUMNS: &str = "id, name, company, phone, line1, line2, city, postcode, country, lat, lon";

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn list(db: &Db, customer_id: i64) -> Result<Vec<Address>, AppError> {
    let rows: Vec<AddressRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM addresses WHERE customer_id = $1 ORDER BY name, id"
    ))
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Address::from).collect())
}

/// One of the customer's addresses; another customer's is "not found", never revealed.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id, id = id))]
pub async fn get(db: &Db, customer_id: i64, id: i64) -> Result<Address, AppError> {
    let row: Option<AddressRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM addresses WHERE id = $1 AND customer_id = $2"
    ))
    .bind(id)
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(Address::from).ok_or(AppError::NotFound)
}

/// The columns a new address and a changed one both take.
fn address_columns<'q, C: Columns<'q>>(columns: C, a: &'q ParsedAddress) -> C {
    columns
        .set("name", a.name.as_str())
        .set("company", a.company.as_ref().map(CompanyName::as_str))
        .set("phone", a.phone.as_str())
        .set("line1", a.line1.as_str())
        .set("line2", a.line2.as_deref())
        .set("city", a.city.name.as_str())
        .set("postcode", a.postcode.as_str())
        .set("country", a.city.country.as_str())
        .set("geonames_id", a.city.geonames_id as i64)
        .set("lat", a.city.lat)
        .set("lon", a.city.lon)
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn create(db: &Db, customer_id: i64, input: &AddressInput) -> Result<Address, AppError> {
    let a = parse(input, "")?;
    let now = now_ms();
    let (sql, arguments) = address_columns(Insert::into("addresses"), &a)
        .value("customer_id", customer_id)
        .value("created_at", now)
        .value("updated_at", now)
        .build("RETURNING id")?;
    let id: i64 = sqlx::query_scalar_with(&sql, arguments)
        .fetch_one(&db.pool)
        .await?;
    get(db, customer_id, id).await
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id, id = id))]
pub async fn update(
    db: &Db,
    customer_id: i64,
    id: i64,
    input: &AddressInput,
) -> Result<Address, AppError> {
    get(db, customer_id, id).await?;
    let a = parse(input, "")?;
    let (sql, arguments) = address_columns(Update::table("addresses"), &a)
        .set("updated_at", now_ms())
        .where_eq("id", id)
        .where_eq("customer_id", customer_id)
        .build("")?;
    sqlx::query_with(&sql, arguments).execute(&db.pool).await?;
    get(db, customer_id, id).await
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id, id = id))]
pub async fn delete(db: &Db, customer_id: i64, id: i64) -> Result<(), AppError> {
    let done = sqlx::query("DELETE FROM addresses WHERE id = $1 AND customer_id = $2")
        .bind(id)
        .bind(customer_id)
        .execute(&db.pool)
        .await?;
    if done.rows_affected() == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            name: "王芳".into(),
            company: "".into(),
            phone: "+86 138 0013 8000".into(),
            line1: "88 Century Avenue".into(),
            line2: "".into(),
            city: "shanghai".into(),
            postcode: "200120".into(),
            country: "cn".into(),
        }
    }

    #[test]
    fn a_good_address_resolves_to_its_city() {
        let a = parse(&input(), "").unwrap();
        assert_eq!(a.city.name, "Shanghai");
        assert_eq!(a.postcode.as_str(), "200120");
        assert_eq!(a.phone.as_str(), "+8613800138000");
    }

    #[test]
    fn every_problem_is_named_with_the_prefix() {
        let bad = AddressInput {
            phone: "abc".into(),
            line1: " ".into(),
            city: "Atlantis".into(),
            postcode: "2001".into(),
            ..input()
        };
        let AppError::Validation(f) = parse(&bad, "recipient.").err().unwrap() else {
            panic!("validation error expected")
        };
        assert_eq!(f.get("recipient.phone"), Some(&FieldError::PhoneInvalid));
        assert_eq!(f.get("recipient.line1"), Some(&FieldError::Required));
        assert_eq!(f.get("recipient.city"), Some(&FieldError::CityUnknown));
        assert_eq!(
            f.get("recipient.postcode"),
            Some(&FieldError::PostcodeInvalid)
        );
        let unknown_country = AddressInput {
            country: "ZZ".into(),
            ..input()
        };
        let AppError::Validation(f) = parse(&unknown_country, "").err().unwrap() else {
            panic!()
        };
        assert_eq!(f.get("country"), Some(&FieldError::CountryInvalid));
        assert!(
            !f.contains_key("city"),
            "the city is not blamed for the country"
        );
    }
}
