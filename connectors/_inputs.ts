import { z } from 'zod';

/**
 * The unified write inputs, as every connector receives them from a fan-out mutation. Checked
 * before anything is written: a bad value is BAD_USER_INPUT naming the field, and no system
 * hears of it. (Files starting with `_` are shared by connectors, not connectors themselves.)
 */

export const customerInput = z.object({
  email: z.email(),
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().min(1).max(100),
  phone: z
    .string()
    .regex(/^\+?[0-9 ()-]{6,20}$/, 'a phone number like +34 600 000 000')
    .nullish(),
});
export type CustomerInput = z.infer<typeof customerInput>;

export const customerPatch = customerInput.omit({ email: true }).partial();
export type CustomerPatch = z.infer<typeof customerPatch>;

export const reservationInput = z
  .object({
    customerId: z.string().min(1),
    serviceId: z.string().min(1),
    roomCategoryId: z.string().min(1),
    ageCategoryId: z.string().min(1),
    guestCount: z.number().int().min(1).max(20),
    checkIn: z.iso.datetime({ offset: true }),
    checkOut: z.iso.datetime({ offset: true }),
    note: z.string().max(2000).nullish(),
  })
  .refine((r) => Date.parse(r.checkOut) > Date.parse(r.checkIn), { message: 'checkOut must be after checkIn', path: ['checkOut'] });
export type ReservationInput = z.infer<typeof reservationInput>;

export const paymentInput = z.object({
  invoiceId: z.string().min(1),
  amount: z.string().regex(/^\d+(\.\d{1,2})?$/, 'a decimal amount like 120.50'),
  date: z.iso.date(),
});
export type PaymentInput = z.infer<typeof paymentInput>;
