/** Fixed vocabularies the seed draws from. Data only. */

export const FIRST_NAMES = [
  'Ana', 'José', 'Lucía', 'Carlos', 'María', 'Javier', 'Sofía', 'Miguel', 'Elena', 'Pablo',
  'Inês', 'João', 'Beatriz', 'Tiago', 'Marta', 'Lukas', 'Hannah', 'Felix', 'Camille', 'Louis',
  'Chloé', 'Hugo', 'Emma', 'Oliver', 'Amelia', 'Marco', 'Giulia', 'Sven', 'Noor', 'Íñigo',
] as const;

export const LAST_NAMES = [
  'García', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Ruiz', 'Díaz', 'Moreno',
  'Silva', 'Santos', 'Ferreira', 'Costa', 'Oliveira', 'Müller', 'Schmidt', 'Weber', 'Dubois', 'Laurent',
  'Moreau', 'Smith', 'Taylor', 'Brown', 'Rossi', 'Bianchi', 'Jansen', 'Berg', 'Navarro', 'Romero',
] as const;

export interface CountryProfile {
  code: string;
  name: string;
  dial: string;
  cities: ReadonlyArray<{ city: string; postalCode: string; province: string }>;
  streets: readonly string[];
}

export const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'ES', name: 'Spain', dial: '+34',
    cities: [
      { city: 'Barcelona', postalCode: '08001', province: 'Barcelona' },
      { city: 'Madrid', postalCode: '28013', province: 'Madrid' },
      { city: 'Valencia', postalCode: '46002', province: 'Valencia' },
    ],
    streets: ['Carrer de Mallorca', 'Calle Mayor', 'Avinguda Diagonal', 'Calle de Alcalá'],
  },
  {
    code: 'PT', name: 'Portugal', dial: '+351',
    cities: [
      { city: 'Lisboa', postalCode: '1100-148', province: 'Lisboa' },
      { city: 'Porto', postalCode: '4000-322', province: 'Porto' },
    ],
    streets: ['Rua Augusta', 'Avenida da Liberdade', 'Rua de Santa Catarina'],
  },
  {
    code: 'DE', name: 'Germany', dial: '+49',
    cities: [
      { city: 'Berlin', postalCode: '10115', province: 'Berlin' },
      { city: 'München', postalCode: '80331', province: 'Bayern' },
    ],
    streets: ['Friedrichstraße', 'Hauptstraße', 'Kastanienallee'],
  },
  {
    code: 'FR', name: 'France', dial: '+33',
    cities: [
      { city: 'Paris', postalCode: '75003', province: 'Île-de-France' },
      { city: 'Lyon', postalCode: '69002', province: 'Auvergne-Rhône-Alpes' },
    ],
    streets: ['Rue de Rivoli', 'Rue du Bac', 'Boulevard Voltaire'],
  },
  {
    code: 'GB', name: 'United Kingdom', dial: '+44',
    cities: [{ city: 'London', postalCode: 'SW1A 1AA', province: 'England' }],
    streets: ['Baker Street', 'Kings Road'],
  },
];

/** The hotel group's online shop. Prices in cents, VAT 21 %. */
export const PRODUCTS = [
  { sku: 'AUR-ROBE-01', title: 'Aurora bathrobe', priceCents: 6900 },
  { sku: 'AUR-SLIP-02', title: 'Linen slippers', priceCents: 1900 },
  { sku: 'AUR-SPA-10', title: 'Spa day voucher', priceCents: 12000 },
  { sku: 'AUR-BRK-20', title: 'Breakfast for two voucher', priceCents: 4400 },
  { sku: 'AUR-CAN-03', title: 'Fig leaf candle', priceCents: 3200 },
  { sku: 'AUR-OIL-04', title: 'Olive oil, 500 ml', priceCents: 1650 },
  { sku: 'AUR-WIN-05', title: 'Priorat red wine', priceCents: 2850 },
  { sku: 'AUR-DIN-30', title: 'Tasting menu voucher', priceCents: 18500 },
  { sku: 'AUR-PIL-06', title: 'Feather pillow', priceCents: 8900 },
  { sku: 'AUR-BOK-07', title: 'Aurora cookbook', priceCents: 3500 },
] as const;

/** Bar and restaurant menu. Prices in cents, VAT 10 %. */
export const MENU = [
  { name: 'Espresso', priceCents: 250 },
  { name: 'Cappuccino', priceCents: 380 },
  { name: 'Fresh orange juice', priceCents: 450 },
  { name: 'Club sandwich', priceCents: 1450 },
  { name: 'Patatas bravas', priceCents: 750 },
  { name: 'Grilled octopus', priceCents: 2200 },
  { name: 'Pastel de nata', priceCents: 220 },
  { name: 'Glass of cava', priceCents: 850 },
  { name: 'Negroni', priceCents: 1200 },
  { name: 'Catch of the day', priceCents: 2600 },
] as const;

export const ENTERPRISES = [
  { name: 'Hotel Aurora Barcelona', timeZone: 'Europe/Madrid', city: 'Barcelona', countryCode: 'ES', roomPrefix: 1 },
  { name: 'Hotel Aurora Lisboa', timeZone: 'Europe/Lisbon', city: 'Lisboa', countryCode: 'PT', roomPrefix: 2 },
] as const;

export const ROOM_CATEGORIES = [
  { name: 'Double Room', capacity: 2 },
  { name: 'Junior Suite', capacity: 3 },
] as const;

export const LOCATIONS = [
  { name: 'Aurora Bar Barcelona', city: 'Barcelona', countryCode: 'ES', timeZone: 'Europe/Madrid' },
  { name: 'Aurora Restaurante Lisboa', city: 'Lisboa', countryCode: 'PT', timeZone: 'Europe/Lisbon' },
] as const;
