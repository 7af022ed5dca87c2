import { cardRoutes } from '../cards/routes';
import { createRouter } from '../lib/openapi';
import { byApiKey, requireScope } from '../middleware/api-key';
import { requireAuth } from '../middleware/auth';
import { byUser, rateLimit } from '../middleware/rate-limit';
import { addressRoutes } from './address-routes';
import { kycRoutes } from './kyc-routes';
import { profileRoutes } from './profile-routes';

/** docs/api.md §3: `/api/v1/customers/...`. Every route needs a signed-in user and counts against `default`. */
export const customersRoutes = createRouter();

// docs/api-keys.md §2: the staff reads (a customer's KYC record and document) also admit a server API key
// with `customers:read`; every other customers route refuses keys (requireAuth).
customersRoutes.get('/:customer_id/kyc', requireScope('customers:read'));
customersRoutes.get('/:customer_id/kyc/file', requireScope('customers:read'));
customersRoutes.use('*', requireAuth, rateLimit('default', byUser, byApiKey));

// Mounted in this order, which is the order of the OpenAPI document's paths: profile (§3.2), addresses
// (§3.3), KYC with the staff routes (§3.4). Each sub-router is complete before it is mounted (route() copies).
customersRoutes.route('/', profileRoutes);
customersRoutes.route('/', addressRoutes);
customersRoutes.route('/', kycRoutes);
// docs/api.md "Saved cards" (src/cards).
customersRoutes.route('/', cardRoutes);
