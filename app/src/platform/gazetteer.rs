//! Cities with coordinates (`app/data/gazetteer.csv`, GeoNames, CC BY 4.0), so addresses get
//! real geography without any network: distances for zones and ETAs, points for maps.

use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct City {
    pub geonames_id: u64,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub admin1: String,
    pub population: u64,
    pub lat: f64,
    pub lon: f64,
}

/// A city is remote when no metropolis (this many people) of its country lies within
/// `REMOTE_KM`: that is where a courier's day is longest and the surcharge applies.
const METROPOLIS: u64 = 1_000_000;
const REMOTE_KM: f64 = 400.0;

pub struct Gazetteer {
    cities: Vec<City>,
    /// (country, name folded by `search_key`) -> the most populous such city; a bulk import
    /// looks up two cities per row.
    index: std::collections::HashMap<(String, String), usize>,
}

/// Case and spacing folded away: "new york", "NewYork" and "New York" are one key.
fn search_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Gazetteer {
    pub fn from_csv(data: &str) -> Result<Self, csv::Error> {
        let cities = csv::Reader::from_reader(data.as_bytes())
            .deserialize()
            .collect::<Result<Vec<City>, _>>()?;
        let mut index = std::collections::HashMap::new();
        for (i, c) in cities.iter().enumerate() {
            let best = index
                .entry((c.country.to_ascii_uppercase(), search_key(&c.name)))
                .or_insert(i);
            if cities[*best].population < c.population {
                *best = i;
            }
        }
        Ok(Self { cities, index })
    }

    pub fn bundled() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| {
            Gazetteer::from_csv(include_str!("../../data/gazetteer.csv"))
                .expect("the bundled gazetteer parses (tested)")
        })
    }

    pub fn len(&self) -> usize {
        self.cities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cities.is_empty()
    }

    pub fn has_country(&self, country: &str) -> bool {
        self.cities.iter().any(|c| c.country == country)
    }

    /// The most populous city of that name in that country, ignoring case and spacing.
    pub fn find(&self, country: &str, name: &str) -> Option<&City> {
        self.index
            .get(&(country.to_ascii_uppercase(), search_key(name)))
            .map(|i| &self.cities[*i])
    }

    /// The most populous city of the country within `radius_km` of a point: where a hub would be.
    pub fn hub_near(&self, country: &str, lat: f64, lon: f64, radius_km: f64) -> Option<&City> {
        let here = City {
            geonames_id: 0,
            name: String::new(),
            country: country.to_string(),
            admin1: String::new(),
            population: 0,
            lat,
            lon,
        };
        self.cities
            .iter()
            .filter(|c| c.country == country && distance_m(&here, c) as f64 / 1000.0 <= radius_km)
            .max_by_key(|c| c.population)
    }

    pub fn is_remote(&self, city: &City) -> bool {
        let nearest_metropolis = self
            .cities
            .iter()
            .filter(|c| c.country == city.country && c.population >= METROPOLIS)
            .map(|c| distance_m(city, c) as f64 / 1000.0)
            .fold(f64::INFINITY, f64::min);
        nearest_metropolis > REMOTE_KM
    }
}

/// Great-circle distance in whole metres (haversine, mean Earth radius).
pub fn distance_m(a: &City, b: &City) -> u64 {
    (distance_km((a.lat, a.lon), (b.lat, b.lon)) * 1000.0).round() as u64
}

/// Great-circle distance between two (latitude, longitude) points in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R_KM: f64 = 6_371.008_8;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R_KM * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_gazetteer_loads_and_finds_cities() {
        let g = Gazetteer::bundled();
        assert!(g.len() > 1_000);
        let beijing = g.find("cn", " beijing ").unwrap();
        assert_eq!(beijing.geonames_id, 1_816_670);
        assert!(g.find("CN", "Atlantis").is_none());
        assert!(g.find("US", "Beijing").is_none());
    }

    #[test]
    fn distances_match_known_ones() {
        let g = Gazetteer::bundled();
        let km = |a: &str, b: &str| {
            distance_m(g.find("CN", a).unwrap(), g.find("CN", b).unwrap()) as f64 / 1000.0
        };
        let bj_sh = km("Beijing", "Shanghai");
        assert!((1_050.0..1_085.0).contains(&bj_sh), "{bj_sh}");
        assert_eq!(km("Shanghai", "Shanghai"), 0.0);
    }

    #[test]
    fn remoteness_follows_from_the_data() {
        let g = Gazetteer::bundled();
        assert!(!g.is_remote(g.find("CN", "Shanghai").unwrap()));
        assert!(!g.is_remote(g.find("CN", "Suzhou").unwrap()));
        assert!(g.is_remote(g.find("CN", "Lhasa").unwrap()));
    }
}
