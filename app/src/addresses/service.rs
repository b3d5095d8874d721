use super::{Address, AddressInput, MAX_CITY_CHARS, MAX_LINE_CHARS};
use crate::domain::{single_line, CompanyName, PersonName, PhoneNumber, Postcode};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::platform::gazetteer::{City, Gazetteer};
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

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds `$1`..`$11`: the address columns INSERT and UPDATE share, in one order.
fn bind_address<'q>(query: AnyQuery<'q>, a: &'q ParsedAddress) -> AnyQuery<'q> {
    query
        .bind(a.name.as_str())
        .bind(a.company.as_ref().map(CompanyName::as_str))
        .bind(a.phone.as_str())
        .bind(a.line1.as_str())
        .bind(a.line2.as_deref())
        .bind(a.city.name.as_str())
        .bind(a.postcode.as_str())
        .bind(a.city.country.as_str())
        .bind(a.city.geonames_id as i64)
        .bind(a.city.lat)
        .bind(a.city.lon)
}

#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn create(db: &Db, customer_id: i64, input: &AddressInput) -> Result<Address, AppError> {
    use sqlx::Row;
    let a = parse(input, "")?;
    let row = bind_address(
        sqlx::query(
            "INSERT INTO addresses (name, company, phone, line1, line2, city, postcode, country, \
             geonames_id, lat, lon, customer_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        ),
        &a,
    )
    .bind(customer_id)
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await?;
    get(db, customer_id, row.try_get::<i64, _>("id")?).await
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
    bind_address(
        sqlx::query(
            "UPDATE addresses SET name = $1, company = $2, phone = $3, line1 = $4, line2 = $5, \
             city = $6, postcode = $7, country = $8, geonames_id = $9, lat = $10, lon = $11, \
             updated_at = $12 WHERE id = $13 AND customer_id = $14",
        ),
        &a,
    )
    .bind(now_ms())
    .bind(id)
    .bind(customer_id)
    .execute(&db.pool)
    .await?;
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
