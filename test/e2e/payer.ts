import { eq } from 'drizzle-orm';
import { ensureCustomerProfile } from '../../src/customers/bootstrap';
import { createDatabase } from '../../src/db/client';
import { addresses, customers, kycRecords, users } from '../../src/db/schema';
import { hashPassword } from '../../src/lib/password';

/** The browser tests' shopper password. */
export const PAYER_PASSWORD = 'Kettle-Drum42!';

/** An active, KYC-approved customer with a complete profile and a main address in Egypt, ready to pay. */
export async function createPayer(databaseUrl: string) {
  const db = createDatabase(databaseUrl, `e2e-${crypto.randomUUID()}`);
  const username = `e2e_${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const inserted = await db.insert(users).values({
    username,
    email: `${username}@example.com`,
    passwordHash: await hashPassword(PAYER_PASSWORD),
    role: 'CUSTOMER',
    isActive: true,
  });
  const userId = Number(inserted.insertId);
  await ensureCustomerProfile(db, userId);
  const [customer] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, userId));
  if (!customer) throw new Error('no customer profile');
  const phone = `+2012${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  await db
    .update(customers)
    .set({ firstName: 'Mona', lastName: 'Adel', phoneNumber: phone })
    .where(eq(customers.id, customer.id));
  await db.update(kycRecords).set({ status: 'approved' }).where(eq(kycRecords.customerId, customer.id));
  await db
    .update(addresses)
    .set({ city: 'Cairo', line: '5 Tahrir Square' })
    .where(eq(addresses.customerId, customer.id));
  return { db, username, customerId: customer.id };
}
