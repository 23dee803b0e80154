import type { Guest, SeedData, SeedEnterprise, SeedReservation } from './seed.ts';
import { createRandom, isoSeconds, uuid } from './sim/ids.ts';

/** Mews records in the Connector API's shape: PascalCase, UUIDs, UTC instants without milliseconds. */

export type Json = Record<string, unknown>;

/** An insertion-ordered collection with O(1) lookup by Id and cursor position. */
export class Collection {
  readonly items: Json[] = [];
  readonly byId = new Map<string, Json>();
  private readonly position = new Map<string, number>();

  add(item: Json): void {
    this.position.set(item.Id as string, this.items.length);
    this.items.push(item);
    this.byId.set(item.Id as string, item);
  }

  /** Mews cursor paging: the cursor is the Id of the last item of the previous page. */
  page(match: (item: Json) => boolean, count: number, cursor: string | undefined): { page: Json[]; cursor: string | null } | undefined {
    let i = 0;
    if (cursor !== undefined) {
      const at = this.position.get(cursor);
      if (at === undefined) return undefined;
      i = at + 1;
    }
    const page: Json[] = [];
    for (; i < this.items.length && page.length < count; i++) if (match(this.items[i]!)) page.push(this.items[i]!);
    const last = page[page.length - 1];
    return { page, cursor: last ? (last.Id as string) : null };
  }
}

export class MewsStore {
  readonly enterprises = new Collection();
  readonly services = new Collection();
  readonly categories = new Collection();
  readonly resources = new Collection();
  readonly ageCategories = new Collection();
  readonly rates = new Collection();
  readonly customers = new Collection();
  readonly reservations = new Collection();
  readonly chainId: string;
  nextCustomerNumber = 1001;
  nextReservationNumber: number;

  constructor(data: SeedData) {
    const random = createRandom(data.seed ^ 0x4d455753);
    this.chainId = data.chainId;
    data.enterprises.forEach((e) => this.addEnterprise(e, random));
    data.guests.forEach((g) => this.customers.add(this.seedCustomer(g)));
    data.reservations.forEach((r) => this.reservations.add(this.seedReservation(r, data)));
    this.nextReservationNumber = 1001 + data.reservations.length;
  }

  customer(input: Json, id: string, now: number): Json {
    const address = typeof input.Address === 'object' && input.Address !== null ? (input.Address as Json) : undefined;
    return {
      Id: id,
      ChainId: this.chainId,
      Number: String(this.nextCustomerNumber++),
      Title: input.Title ?? null,
      Sex: input.Sex ?? null,
      FirstName: input.FirstName ?? null,
      LastName: input.LastName,
      SecondLastName: input.SecondLastName ?? null,
      NationalityCode: input.NationalityCode ?? null,
      LanguageCode: input.LanguageCode ?? null,
      BirthDate: input.BirthDate ?? null,
      BirthPlace: input.BirthPlace ?? null,
      Email: input.Email ?? null,
      HasOtaEmail: false,
      Phone: input.Phone ?? null,
      TaxIdentificationNumber: input.TaxIdentificationNumber ?? null,
      LoyaltyCode: input.LoyaltyCode ?? null,
      AccountingCode: null,
      BillingCode: null,
      Notes: input.Notes ?? null,
      CarRegistrationNumber: input.CarRegistrationNumber ?? null,
      CreatedUtc: isoSeconds(now),
      UpdatedUtc: isoSeconds(now),
      Classifications: Array.isArray(input.Classifications) ? input.Classifications : [],
      Options: Array.isArray(input.Options) ? input.Options : [],
      Address: address ? { Line1: null, Line2: null, City: null, PostalCode: null, CountryCode: null, CountrySubdivisionCode: null, ...address } : null,
      ActivityState: 'Active',
    };
  }

  private seedCustomer(g: Guest): Json {
    const c = this.customer({
      FirstName: g.firstName, LastName: g.lastName, Email: g.email, Phone: g.phone, NationalityCode: g.address.countryCode,
      Address: { Line1: g.address.line1, City: g.address.city, PostalCode: g.address.postalCode, CountryCode: g.address.countryCode },
    }, g.mewsId, g.createdAt + 5 * 3_600_000);
    c.Number = String(1001 + g.index);
    return c;
  }

  private addEnterprise(e: SeedEnterprise, random: () => number): void {
    const created = isoSeconds(e.createdAt);
    this.enterprises.add({
      Id: e.id, ExternalIdentifier: null, ChainId: this.chainId, Name: e.name, TimeZoneIdentifier: e.timeZone,
      LegalEnvironmentCode: e.countryCode, AccommodationEnvironmentCode: e.countryCode, AccountingEnvironmentCode: e.countryCode,
      TaxEnvironmentCode: e.countryCode, DefaultLanguageCode: e.countryCode === 'ES' ? 'es-ES' : 'pt-PT', EditableHistoryInterval: 'P2D',
      WebsiteUrl: null, Email: `reception.${e.city.toLowerCase()}@hotel-aurora.example`, Phone: null, CreatedUtc: created, UpdatedUtc: created,
      Address: { Line1: null, City: e.city, CountryCode: e.countryCode },
      Currencies: [{ Currency: 'EUR', IsDefault: true, IsEnabled: true }], Pricing: 'Gross', IsPortfolio: false,
    });
    this.services.add({
      Id: e.serviceId, EnterpriseId: e.id, IsActive: true, Name: 'Accommodation', Names: { 'en-US': 'Accommodation' },
      Ordering: 0, ExternalIdentifier: null, CreatedUtc: created, UpdatedUtc: created,
      Data: { Discriminator: 'Bookable', Value: { StartOffset: 'P0DT15H0M0S', EndOffset: 'P0DT11H0M0S', OccupancyStartOffset: 'P0DT15H0M0S', OccupancyEndOffset: 'P0DT11H0M0S', TimeUnitPeriod: 'Day' } },
    });
    e.categories.forEach((c, index) => this.categories.add({
      Id: c.id, EnterpriseId: e.id, ServiceId: e.serviceId, IsActive: true, Type: index === 0 ? 'Room' : 'Suite',
      Names: { 'en-US': c.name }, ShortNames: { 'en-US': c.name.slice(0, 3).toUpperCase() }, Capacity: c.capacity, ExtraCapacity: 1, Ordering: index,
    }));
    e.resources.forEach((r) => this.resources.add({
      Id: r.id, EnterpriseId: e.id, IsActive: true, Name: r.name, State: 'Clean', ParentResourceId: null,
      Data: { Discriminator: 'Space', Value: { FloorNumber: r.name.slice(0, 1), LocationNotes: null } }, CategoryId: e.categories[r.categoryIndex]!.id,
    }));
    this.ageCategories.add({ Id: e.adultAgeCategoryId, ServiceId: e.serviceId, MinimalAge: 18, MaximalAge: null, Names: { 'en-US': 'Adult' }, Classification: 'Adult', IsActive: true });
    this.ageCategories.add({ Id: e.childAgeCategoryId, ServiceId: e.serviceId, MinimalAge: 0, MaximalAge: 17, Names: { 'en-US': 'Child' }, Classification: 'Child', IsActive: true });
    this.rates.add({ Id: uuid(random), ServiceId: e.serviceId, IsActive: true, IsEnabled: true, IsPublic: true, Name: 'Best available rate', ShortName: 'BAR', ExternalIdentifier: null });
  }

  rateFor(serviceId: string): string | null {
    return (this.rates.items.find((r) => r.ServiceId === serviceId)?.Id as string | undefined) ?? null;
  }

  reservation(fields: {
    id: string; enterpriseId: string; serviceId: string; customerId: string; number: string; state: string; startUtc: number; endUtc: number;
    categoryId: string; resourceId: string | null; personCounts: Json[]; createdUtc: number; updatedUtc: number;
    actualStartUtc?: number; actualEndUtc?: number; origin: string;
  }): Json {
    const checkedIn = fields.state === 'Started' || fields.state === 'Processed';
    return {
      Id: fields.id, ServiceId: fields.serviceId, EnterpriseId: fields.enterpriseId, AccountId: fields.customerId, AccountType: 'Customer',
      BookerId: fields.customerId, Number: fields.number, State: fields.state, Origin: fields.origin, CommanderOrigin: null, OriginDetails: null,
      CreatedUtc: isoSeconds(fields.createdUtc), UpdatedUtc: isoSeconds(fields.updatedUtc),
      CancelledUtc: fields.state === 'Canceled' ? isoSeconds(fields.updatedUtc) : null,
      VoucherId: null, BusinessSegmentId: null, TravelAgencyId: null, PartnerCompanyId: null, ChannelNumber: null,
      RequestedResourceCategoryId: fields.categoryId, AssignedResourceId: fields.resourceId, AvailabilityBlockId: null,
      RateId: this.rateFor(fields.serviceId), CreditCardId: null, GroupId: null, ReleasedUtc: null,
      ScheduledStartUtc: isoSeconds(fields.startUtc), ActualStartUtc: fields.actualStartUtc === undefined ? null : isoSeconds(fields.actualStartUtc),
      ScheduledEndUtc: isoSeconds(fields.endUtc), ActualEndUtc: fields.actualEndUtc === undefined ? null : isoSeconds(fields.actualEndUtc),
      Purpose: 'Leisure', QrCodeData: null, PersonCounts: fields.personCounts,
      Options: { OwnerCheckedIn: checkedIn, AllCompanionsCheckedIn: checkedIn, AnyCompanionCheckedIn: checkedIn, ConnectorCheckIn: false },
    };
  }

  private seedReservation(r: SeedReservation, data: SeedData): Json {
    const e = data.enterprises[r.enterpriseIndex]!;
    const personCounts: Json[] = [{ AgeCategoryId: e.adultAgeCategoryId, Count: r.adults }];
    if (r.children > 0) personCounts.push({ AgeCategoryId: e.childAgeCategoryId, Count: r.children });
    return this.reservation({
      id: r.id, enterpriseId: e.id, serviceId: e.serviceId, customerId: data.guests[r.guestIndex]!.mewsId, number: r.number,
      state: r.state, startUtc: r.startUtc, endUtc: r.endUtc, categoryId: e.categories[r.categoryIndex]!.id,
      resourceId: r.resourceIndex === undefined ? null : e.resources[r.resourceIndex]!.id, personCounts,
      createdUtc: r.createdAt, updatedUtc: r.updatedAt, origin: 'Distributor',
      ...(r.actualStartUtc === undefined ? {} : { actualStartUtc: r.actualStartUtc }),
      ...(r.actualEndUtc === undefined ? {} : { actualEndUtc: r.actualEndUtc }),
    });
  }
}
