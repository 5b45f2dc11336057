/**
 * The bundled gazetteer (SPEC §6): coordinates of the cities of every T1 market and of the main
 * city of many other countries. Countries are ISO 3166 alpha-2 in lower case; cities are
 * lower-case slugs without spaces, as in the seed (`newyork`, `losangeles`, `saopaulo`).
 * Coordinates are city centres in decimal degrees (WGS 84), good to a few km: they rank
 * substitutes by distance, nothing more. An inventory row may carry its own `lat,lon` for a city
 * that is not listed here.
 */

export interface LatLon {
  lat: number;
  lon: number;
}

type Table = Record<string, Record<string, readonly [lat: number, lon: number]>>;

const CITIES: Table = {
  // ---- T1 markets: the cities a buyer may pick
  us: {
    newyork: [40.7128, -74.006],
    losangeles: [34.0522, -118.2437],
    chicago: [41.8781, -87.6298],
    houston: [29.7604, -95.3698],
    dallas: [32.7767, -96.797],
    miami: [25.7617, -80.1918],
    seattle: [47.6062, -122.3321],
    sanfrancisco: [37.7749, -122.4194],
    atlanta: [33.749, -84.388],
    denver: [39.7392, -104.9903],
    phoenix: [33.4484, -112.074],
    boston: [42.3601, -71.0589],
    washington: [38.9072, -77.0369],
    lasvegas: [36.1699, -115.1398],
    ashburn: [39.0438, -77.4874],
    philadelphia: [39.9526, -75.1652],
    sanjose: [37.3382, -121.8863],
    newark: [40.7357, -74.1724],
    kansascity: [39.0997, -94.5786],
    minneapolis: [44.9778, -93.265],
    detroit: [42.3314, -83.0458],
    saltlakecity: [40.7608, -111.891],
    charlotte: [35.2271, -80.8431],
    portland: [45.5152, -122.6784],
    stlouis: [38.627, -90.1994],
  },
  ca: {
    toronto: [43.6532, -79.3832],
    montreal: [45.5017, -73.5673],
    vancouver: [49.2827, -123.1207],
    calgary: [51.0447, -114.0719],
    ottawa: [45.4215, -75.6972],
    edmonton: [53.5461, -113.4938],
  },
  gb: {
    london: [51.5074, -0.1278],
    manchester: [53.4808, -2.2426],
    birmingham: [52.4862, -1.8904],
    glasgow: [55.8642, -4.2518],
    edinburgh: [55.9533, -3.1883],
    leeds: [53.8008, -1.5491],
  },
  de: {
    frankfurt: [50.1109, 8.6821],
    berlin: [52.52, 13.405],
    munich: [48.1351, 11.582],
    hamburg: [53.5511, 9.9937],
    dusseldorf: [51.2277, 6.7735],
    cologne: [50.9375, 6.9603],
  },
  fr: {
    paris: [48.8566, 2.3522],
    marseille: [43.2965, 5.3698],
    lyon: [45.764, 4.8357],
    toulouse: [43.6047, 1.4442],
  },
  nl: {
    amsterdam: [52.3676, 4.9041],
    rotterdam: [51.9244, 4.4777],
    thehague: [52.0705, 4.3007],
  },
  jp: {
    tokyo: [35.6762, 139.6503],
    osaka: [34.6937, 135.5023],
  },
  sg: {
    singapore: [1.3521, 103.8198],
  },
  au: {
    sydney: [-33.8688, 151.2093],
    melbourne: [-37.8136, 144.9631],
    brisbane: [-27.4698, 153.0251],
    perth: [-31.9505, 115.8605],
  },
  // ---- other countries: the main city (a few also their second city)
  br: { saopaulo: [-23.5505, -46.6333], riodejaneiro: [-22.9068, -43.1729] },
  in: { mumbai: [19.076, 72.8777], delhi: [28.7041, 77.1025] },
  mx: { mexicocity: [19.4326, -99.1332] },
  es: { madrid: [40.4168, -3.7038], barcelona: [41.3851, 2.1734] },
  it: { milan: [45.4642, 9.19], rome: [41.9028, 12.4964] },
  pl: { warsaw: [52.2297, 21.0122] },
  se: { stockholm: [59.3293, 18.0686] },
  kr: { seoul: [37.5665, 126.978] },
  hk: { hongkong: [22.3193, 114.1694] },
  tw: { taipei: [25.033, 121.5654] },
  za: { johannesburg: [-26.2041, 28.0473] },
  ar: { buenosaires: [-34.6037, -58.3816] },
  tr: { istanbul: [41.0082, 28.9784] },
  ae: { dubai: [25.2048, 55.2708] },
  id: { jakarta: [-6.2088, 106.8456] },
  th: { bangkok: [13.7563, 100.5018] },
  vn: { hochiminh: [10.8231, 106.6297] },
  ph: { manila: [14.5995, 120.9842] },
  my: { kualalumpur: [3.139, 101.6869] },
  ch: { zurich: [47.3769, 8.5417] },
  at: { vienna: [48.2082, 16.3738] },
  be: { brussels: [50.8503, 4.3517] },
  ie: { dublin: [53.3498, -6.2603] },
  pt: { lisbon: [38.7223, -9.1393] },
  cz: { prague: [50.0755, 14.4378] },
  ro: { bucharest: [44.4268, 26.1025] },
  ua: { kyiv: [50.4501, 30.5234] },
  il: { telaviv: [32.0853, 34.7818] },
  eg: { cairo: [30.0444, 31.2357] },
  ng: { lagos: [6.5244, 3.3792] },
  ke: { nairobi: [-1.2921, 36.8219] },
  cl: { santiago: [-33.4489, -70.6693] },
  co: { bogota: [4.711, -74.0721] },
  pe: { lima: [-12.0464, -77.0428] },
  nz: { auckland: [-36.8485, 174.7633] },
  no: { oslo: [59.9139, 10.7522] },
  dk: { copenhagen: [55.6761, 12.5683] },
  fi: { helsinki: [60.1699, 24.9384] },
  gr: { athens: [37.9838, 23.7275] },
  hu: { budapest: [47.4979, 19.0402] },
  ru: { moscow: [55.7558, 37.6173] },
  sa: { riyadh: [24.7136, 46.6753] },
  pk: { karachi: [24.8607, 67.0011] },
  bd: { dhaka: [23.8103, 90.4125] },
  bg: { sofia: [42.6977, 23.3219] },
  rs: { belgrade: [44.7866, 20.4489] },
  hr: { zagreb: [45.815, 15.9819] },
  sk: { bratislava: [48.1486, 17.1077] },
  si: { ljubljana: [46.0569, 14.5058] },
  lt: { vilnius: [54.6872, 25.2797] },
  lv: { riga: [56.9496, 24.1052] },
  ee: { tallinn: [59.437, 24.7536] },
  lu: { luxembourg: [49.6116, 6.1319] },
  is: { reykjavik: [64.1466, -21.9426] },
  ma: { casablanca: [33.5731, -7.5898] },
  ec: { quito: [-0.1807, -78.4678] },
  uy: { montevideo: [-34.9011, -56.1645] },
  cr: { sanjose: [9.9281, -84.0907] },
  pa: { panamacity: [8.9824, -79.5199] },
  do: { santodomingo: [18.4861, -69.9312] },
  pr: { sanjuan: [18.4655, -66.1057] },
  kz: { almaty: [43.222, 76.8512] },
  qa: { doha: [25.2854, 51.531] },
  kw: { kuwaitcity: [29.3759, 47.9774] },
  jo: { amman: [31.9454, 35.9284] },
  gh: { accra: [5.6037, -0.187] },
  lk: { colombo: [6.9271, 79.8612] },
  cy: { nicosia: [35.1856, 33.3823] },
  mt: { valletta: [35.8989, 14.5146] },
  md: { chisinau: [47.0105, 28.8638] },
  ge: { tbilisi: [41.7151, 44.8271] },
  am: { yerevan: [40.1792, 44.4991] },
  az: { baku: [40.4093, 49.8671] },
  tn: { tunis: [36.8065, 10.1815] },
};

const CITY_SLUG = /^[a-z][a-z0-9]{0,39}$/;

/** A city slug: a lower-case letter, then up to 39 lower-case letters or digits. */
export function isCitySlug(s: unknown): s is string {
  return typeof s === 'string' && CITY_SLUG.test(s);
}

/** Coordinates must be finite, latitude −90..90 and longitude −180..180. */
export function isLatLon(lat: unknown, lon: unknown): boolean {
  return (
    typeof lat === 'number' &&
    typeof lon === 'number' &&
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    lat >= -90 &&
    lat <= 90 &&
    lon >= -180 &&
    lon <= 180
  );
}

/** The bundled coordinates of a city, or null when the gazetteer does not know it. */
export function lookupCity(country: string, city: string): LatLon | null {
  if (!Object.hasOwn(CITIES, country)) return null;
  const cities = CITIES[country]!;
  if (!Object.hasOwn(cities, city)) return null;
  const [lat, lon] = cities[city]!;
  return { lat, lon };
}

/** The known cities of a country, sorted; empty for an unknown country. */
export function citiesOf(country: string): string[] {
  if (!Object.hasOwn(CITIES, country)) return [];
  return Object.keys(CITIES[country]!).sort();
}

/** The countries the gazetteer knows, sorted. */
export function gazetteerCountries(): string[] {
  return Object.keys(CITIES).sort();
}

const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance in km (haversine). Floats are fine here: this is not money. */
export function distanceKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
