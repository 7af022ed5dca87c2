import { createRouter } from '../lib/openapi';
import { requireAuth } from '../middleware/auth';
import { byUser, rateLimit } from '../middleware/rate-limit';
import { addressRoutes } from './address-routes';
import { kycRoutes } from './kyc-routes';
import { profileRoutes } from './profile-routes';

/** docs/api.md §3: `/api/v1/customers/...`. Every route needs a signed-in user and counts against `default`. */
export const customersRoutes = createRouter();

customersRoutes.use('*', requireAuth, rateLimit('default', byUser));

// Mounted in this order, which is the order of the OpenAPI document's paths: profile (§3.2), addresses
// (§3.3), KYC with the staff routes (§3.4). Each sub-router is complete before it is mounted (route() copies).
customersRoutes.route('/', profileRoutes);
customersRoutes.route('/', addressRoutes);
customersRoutes.route('/', kycRoutes);
