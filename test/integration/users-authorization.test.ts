import { describeAuthorization, uniqueName } from './helpers';

/**
 * The shared authorisation suite on every protected route of /api/v1/users (docs/api.md §2.5). The "owner" is a
 * customer; for profiles/{id} the id in the path is theirs.
 */
const PROFILES = '/api/v1/users/profiles/';

describeAuthorization(
  'GET profiles/',
  { method: 'GET', path: () => PROFILES },
  { customer: 403, otherCustomer: 403, staff: 200, admin: 200 },
);

describeAuthorization(
  'GET profiles/mine/',
  { method: 'GET', path: () => `${PROFILES}mine/` },
  { customer: 200, otherCustomer: 200, staff: 200, admin: 200 },
);

describeAuthorization(
  'PATCH profiles/mine/',
  { method: 'PATCH', path: () => `${PROFILES}mine/`, body: () => ({ username: uniqueName('authz') }) },
  { customer: 200, otherCustomer: 200, staff: 200, admin: 200 },
);

describeAuthorization(
  'PATCH profiles/mine/new-password/',
  {
    method: 'PATCH',
    path: () => `${PROFILES}mine/new-password/`,
    // Wrong old password for every caller: authorised callers get the validation answer.
    body: () => ({ old_password: 'Wrong-Password9!', new_password: 'Brand-New-Pass7?' }),
  },
  { customer: 400, otherCustomer: 400, staff: 400, admin: 400 },
);

describeAuthorization(
  'GET profiles/{id}/',
  { method: 'GET', path: (owner) => `${PROFILES}${owner.id}/` },
  { customer: 200, otherCustomer: 404, staff: 200, admin: 200 },
);

describeAuthorization(
  'PATCH profiles/{id}/',
  {
    method: 'PATCH',
    path: (owner) => `${PROFILES}${owner.id}/`,
    body: () => ({ username: uniqueName('authz') }),
  },
  { customer: 403, otherCustomer: 403, staff: 403, admin: 200 },
);
