import { COUNTRIES, ENTERPRISES, FIRST_NAMES, LAST_NAMES, LOCATIONS, MENU, PRODUCTS, ROOM_CATEGORIES } from './seed-catalog.ts';
import type { SeedAddress, Guest, SeedOrderLine, SeedOrder, SeedEnterprise, ReservationState, SeedReservation, SeedLocation, SeedCheck, SeedData } from './seed-types.ts';
import { ALNUM, createRandom, DAY_MS, euOffsetMinutes, intBetween, pick, randomString, SQUARE_ALPHABET, uuid } from './sim/ids.ts';

export type { SeedAddress, Guest, SeedOrderLine, SeedOrder, SeedEnterprise, ReservationState, SeedReservation, SeedLocation, SeedCheck, SeedData } from './seed-types.ts';

export const GUEST_COUNT = 60;
export const ORDER_COUNT = 200;
export const RESERVATION_COUNT = 80;
export const CHECK_COUNT = 100;
/** Reservation states are fixed relative to this instant, not to the wall clock, so runs repeat. */
export const PMS_REFERENCE_TIME = Date.UTC(2026, 2, 15, 12);

const cache = new Map<number, SeedData>();

/** The demo data set for a seed, generated once per process and deeply frozen: copy before mutating. */
export function seedData(seed = 42): SeedData {
  let data = cache.get(seed);
  if (!data) {
    data = deepFreeze(generate(seed));
    cache.set(seed, data);
  }
  return data;
}

function generate(seed: number): SeedData {
  const random = createRandom(seed);
  const guests = generateGuests(random);
  const orders = generateOrders(random, guests.length);
  const enterprises = ENTERPRISES.map((e, index): SeedEnterprise => ({
    id: uuid(random),
    name: e.name,
    timeZone: e.timeZone,
    city: e.city,
    countryCode: e.countryCode,
    createdAt: Date.UTC(2023, 4 + index * 3, 2, 9),
    serviceId: uuid(random),
    adultAgeCategoryId: uuid(random),
    childAgeCategoryId: uuid(random),
    categories: ROOM_CATEGORIES.map((c) => ({ id: uuid(random), name: c.name, capacity: c.capacity })),
    resources: Array.from({ length: 10 }, (_, r) => ({
      id: uuid(random),
      name: String(e.roomPrefix * 100 + r + 1),
      categoryIndex: r < 7 ? 0 : 1,
    })),
  }));
  const locations = LOCATIONS.map((l, index): SeedLocation => ({
    id: `L${randomString(SQUARE_ALPHABET, 12, random)}`,
    ...l,
    createdAt: Date.UTC(2022, 9 + index, 12, 10),
  }));
  return {
    seed,
    chainId: uuid(random),
    merchantId: randomString(SQUARE_ALPHABET, 13, random),
    guests,
    orders,
    enterprises,
    reservations: generateReservations(random, enterprises),
    locations,
    checks: generateChecks(random),
  };
}

function plain(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
}

function phoneFor(countryCode: string, random: () => number): string {
  const d = (n: number) => randomString('0123456789', n, random);
  switch (countryCode) {
    case 'ES': return `+34 6${d(2)} ${d(3)} ${d(3)}`;
    case 'PT': return `+351 91${d(1)} ${d(3)} ${d(3)}`;
    case 'DE': return `+49 151 ${d(8)}`;
    case 'FR': return `+33 6 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`;
    default: return `+44 7${d(3)} ${d(6)}`;
  }
}

function generateGuests(random: () => number): Guest[] {
  const used = new Set<string>();
  const guests: Guest[] = [];
  while (guests.length < GUEST_COUNT) {
    const firstName = pick(FIRST_NAMES, random);
    const lastName = pick(LAST_NAMES, random);
    const email = `${plain(firstName)}.${plain(lastName)}@example.com`;
    if (used.has(email)) continue;
    used.add(email);
    const roll = random();
    const country = COUNTRIES[roll < 0.4 ? 0 : roll < 0.6 ? 1 : roll < 0.73 ? 2 : roll < 0.86 ? 3 : 4]!;
    const place = pick(country.cities, random);
    const index = guests.length;
    guests.push({
      index,
      firstName,
      lastName,
      email,
      phone: phoneFor(country.code, random),
      address: {
        line1: `${pick(country.streets, random)} ${intBetween(1, 180, random)}`,
        city: place.city,
        postalCode: place.postalCode,
        province: place.province,
        countryCode: country.code,
        country: country.name,
      },
      createdAt: Date.UTC(2025, 0, 10, 9) + intBetween(0, 280, random) * DAY_MS + intBetween(0, 9 * 3600, random) * 1000,
      crmId: String(1501 + index),
      shopId: 7012345678001 + index,
      xeroId: uuid(random),
      mewsId: uuid(random),
      squareId: randomString(SQUARE_ALPHABET, 26, random),
    });
  }
  return guests;
}

function shuffled(count: number, random: () => number): number[] {
  const items = Array.from({ length: count }, (_, i) => i);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const STRIPE_PAID_ORDERS = 12;

function generateOrders(random: () => number, guestCount: number): SeedOrder[] {
  // Why the permutation: the first 60 orders go to 60 different guests, so every guest has one.
  const owners = shuffled(guestCount, random);
  const start = Date.UTC(2025, 10, 1, 8);
  const step = (181 * DAY_MS) / ORDER_COUNT;
  let lineId = 14012345670001;
  let stripeCount = 0;
  return Array.from({ length: ORDER_COUNT }, (_, index): SeedOrder => {
    const createdAt = Math.floor((start + index * step + random() * step * 0.8) / 1000) * 1000;
    const lines = Array.from({ length: intBetween(1, 4, random) }, (): SeedOrderLine => {
      const product = pick(PRODUCTS, random);
      const quantity = intBetween(1, 3, random);
      return {
        shopId: lineId++,
        xeroId: uuid(random),
        sku: product.sku,
        title: product.title,
        quantity,
        unitCents: product.priceCents,
        taxCents: Math.round(product.priceCents * quantity * 0.21),
      };
    });
    const subtotalCents = lines.reduce((sum, l) => sum + l.unitCents * l.quantity, 0);
    const taxCents = lines.reduce((sum, l) => sum + l.taxCents, 0);
    const paid = random() < 0.72;
    const order: SeedOrder = {
      index,
      shopId: 5801234567001 + index,
      name: `#${1001 + index}`,
      guestIndex: index < guestCount ? owners[index]! : Math.floor(random() * guestCount),
      createdAt,
      lines,
      subtotalCents,
      taxCents,
      totalCents: subtotalCents + taxCents,
      invoiceId: uuid(random),
      invoiceNumber: `INV-${String(index + 1).padStart(4, '0')}`,
      dueAt: createdAt + 14 * DAY_MS,
    };
    if (paid) {
      order.paidAt = createdAt + intBetween(2, 180, random) * 60_000;
      order.transactionId = 6012345670001 + index;
      order.paymentId = uuid(random);
      if (stripeCount < STRIPE_PAID_ORDERS) {
        stripeCount += 1;
        const suffix = `3${randomString(ALNUM, 23, random)}`;
        order.stripe = { suffix, clientSecret: `pi_${suffix}_secret_${randomString(ALNUM, 25, random)}` };
      }
    }
    return order;
  });
}

function generateReservations(random: () => number, enterprises: SeedEnterprise[]): SeedReservation[] {
  return Array.from({ length: RESERVATION_COUNT }, (_, i): SeedReservation => {
    const enterpriseIndex = i % enterprises.length;
    const enterprise = enterprises[enterpriseIndex]!;
    const standard = enterprise.timeZone === 'Europe/Lisbon' ? 0 : 60;
    const day = Date.UTC(2026, 0, 3) + (Math.floor((i * 355) / RESERVATION_COUNT) + intBetween(0, 3, random)) * DAY_MS;
    // Check-in 15:00 and check-out 11:00 local time, stored in UTC like Mews does.
    const startUtc = day + 15 * 3_600_000 - euOffsetMinutes(day, standard) * 60_000;
    const endDay = day + intBetween(1, 6, random) * DAY_MS;
    const endUtc = endDay + 11 * 3_600_000 - euOffsetMinutes(endDay, standard) * 60_000;
    const roll = random();
    let state: ReservationState;
    if (endUtc <= PMS_REFERENCE_TIME) state = roll < 0.1 ? 'Canceled' : 'Processed';
    else if (startUtc <= PMS_REFERENCE_TIME) state = 'Started';
    else state = roll < 0.8 ? 'Confirmed' : roll < 0.88 ? 'Optional' : 'Canceled';
    const categoryIndex = random() < 0.7 ? 0 : 1;
    const reservation: SeedReservation = {
      id: uuid(random),
      number: String(1001 + i),
      enterpriseIndex,
      guestIndex: Math.floor(random() * GUEST_COUNT),
      categoryIndex,
      state,
      startUtc,
      endUtc,
      adults: intBetween(1, 2, random),
      children: random() < 0.25 ? intBetween(1, 2, random) : 0,
      createdAt: startUtc - intBetween(7, 120, random) * DAY_MS - intBetween(0, 86_000, random) * 1000,
      updatedAt: 0,
    };
    const rooms = enterprise.resources.filter((r) => r.categoryIndex === categoryIndex);
    if (state === 'Started' || state === 'Processed' || (state === 'Confirmed' && random() < 0.5)) {
      reservation.resourceIndex = enterprise.resources.indexOf(pick(rooms, random));
    }
    if (state === 'Started' || state === 'Processed') reservation.actualStartUtc = startUtc + intBetween(0, 180, random) * 60_000;
    if (state === 'Processed') reservation.actualEndUtc = endUtc - intBetween(0, 120, random) * 60_000;
    reservation.updatedAt = reservation.actualEndUtc ?? reservation.actualStartUtc ?? reservation.createdAt + 3_600_000;
    return reservation;
  });
}

function generateChecks(random: () => number): SeedCheck[] {
  const start = Date.UTC(2026, 0, 5, 8);
  const step = (105 * DAY_MS) / CHECK_COUNT;
  return Array.from({ length: CHECK_COUNT }, (_, i): SeedCheck => {
    const createdAt = Math.floor((start + i * step + random() * step * 0.5) / 1000) * 1000;
    const lines = Array.from({ length: intBetween(1, 4, random) }, () => {
      const item = pick(MENU, random);
      const quantity = intBetween(1, 3, random);
      return {
        uid: randomString(ALNUM, 22, random),
        name: item.name,
        quantity,
        unitCents: item.priceCents,
        taxCents: Math.round(item.priceCents * quantity * 0.1),
      };
    });
    const roll = random();
    const state = i >= CHECK_COUNT - 8 && roll < 0.6 ? 'OPEN' : roll < 0.05 ? 'CANCELED' : 'COMPLETED';
    const taxCents = lines.reduce((sum, l) => sum + l.taxCents, 0);
    const check: SeedCheck = {
      id: randomString(ALNUM, 27, random),
      locationIndex: i % LOCATIONS.length,
      guestIndex: Math.floor(random() * GUEST_COUNT),
      state,
      createdAt,
      lines,
      taxCents,
      totalCents: lines.reduce((sum, l) => sum + l.unitCents * l.quantity, 0) + taxCents,
    };
    if (state !== 'OPEN') check.closedAt = createdAt + intBetween(20, 120, random) * 60_000;
    if (state === 'COMPLETED') check.tenderId = randomString(ALNUM, 27, random);
    return check;
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
