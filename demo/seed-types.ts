/** The demo data set's shape: one guest list, seen by six systems. */

export interface SeedAddress {
  line1: string;
  city: string;
  postalCode: string;
  province: string;
  countryCode: string;
  country: string;
}

/** One person, known to every system under that system's own id. */
export interface Guest {
  index: number;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  address: SeedAddress;
  createdAt: number;
  crmId: string;
  shopId: number;
  xeroId: string;
  mewsId: string;
  squareId: string;
}

export interface SeedOrderLine {
  shopId: number;
  xeroId: string;
  sku: string;
  title: string;
  quantity: number;
  unitCents: number;
  /** VAT on the line, rounded per line so the shop and the invoice agree to the cent. */
  taxCents: number;
}

/** A shop order and the Xero invoice raised for it (Reference = order name). */
export interface SeedOrder {
  index: number;
  shopId: number;
  name: string;
  guestIndex: number;
  createdAt: number;
  paidAt?: number;
  lines: SeedOrderLine[];
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
  transactionId?: number;
  invoiceId: string;
  invoiceNumber: string;
  dueAt: number;
  paymentId?: string;
  /** Set for the first paid orders: they were paid online through Stripe. */
  stripe?: { suffix: string; clientSecret: string };
}

export interface SeedEnterprise {
  id: string;
  name: string;
  timeZone: string;
  city: string;
  countryCode: string;
  createdAt: number;
  serviceId: string;
  adultAgeCategoryId: string;
  childAgeCategoryId: string;
  categories: Array<{ id: string; name: string; capacity: number }>;
  resources: Array<{ id: string; name: string; categoryIndex: number }>;
}

export type ReservationState = 'Confirmed' | 'Started' | 'Processed' | 'Canceled' | 'Optional';

export interface SeedReservation {
  id: string;
  number: string;
  enterpriseIndex: number;
  guestIndex: number;
  categoryIndex: number;
  resourceIndex?: number;
  state: ReservationState;
  startUtc: number;
  endUtc: number;
  actualStartUtc?: number;
  actualEndUtc?: number;
  adults: number;
  children: number;
  createdAt: number;
  updatedAt: number;
}

export interface SeedLocation {
  id: string;
  name: string;
  city: string;
  countryCode: string;
  timeZone: string;
  createdAt: number;
}

export interface SeedCheck {
  id: string;
  locationIndex: number;
  guestIndex: number;
  state: 'OPEN' | 'COMPLETED' | 'CANCELED';
  createdAt: number;
  closedAt?: number;
  lines: Array<{ uid: string; name: string; quantity: number; unitCents: number; taxCents: number }>;
  taxCents: number;
  totalCents: number;
  tenderId?: string;
}

export interface SeedData {
  seed: number;
  chainId: string;
  merchantId: string;
  guests: Guest[];
  orders: SeedOrder[];
  enterprises: SeedEnterprise[];
  reservations: SeedReservation[];
  locations: SeedLocation[];
  checks: SeedCheck[];
}
