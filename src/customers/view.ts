import type { Address } from './addresses';
import { type Kyc, kycSubmissionVersion } from './kyc';
import type { CustomerProfile } from './profile';
import type { AddressView, KycView, ProfileView } from './schemas';

/** The API shapes of docs/api.md §3.2–3.4, from the rows the customers services return. */

export function toProfileView(p: CustomerProfile): ProfileView {
  return {
    user: p.userId,
    first_name: p.firstName,
    last_name: p.lastName,
    phone_number: p.phoneNumber,
    dob: p.dob,
    is_verified: p.isVerified,
    kyc_status: p.kycStatus,
  };
}

export function toAddressView(a: Address): AddressView {
  return {
    id: a.id,
    customer: a.customerId,
    country: a.country,
    state: a.state,
    city: a.city,
    line: a.line,
    building_number: a.buildingNumber,
    apartment_number: a.apartmentNumber,
    postal_code: a.postalCode,
    main_address: a.mainAddress,
  };
}

/** `documentPath` is where this caller downloads the file (their own, or the staff path for the customer). */
export async function toKycView(k: Kyc, documentPath: string): Promise<KycView> {
  return {
    customer_id: k.customerId,
    document_type: k.documentType,
    document_id: k.documentId,
    document_file: k.documentKey ? documentPath : null,
    status: k.status,
    reviewed_at: k.reviewedAt ? k.reviewedAt.toISOString() : null,
    rejection_reason: k.rejectionReason,
    submission_version: await kycSubmissionVersion(k),
  };
}
