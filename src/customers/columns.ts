import { addresses, customers, kycRecords } from '../db/schema';

/**
 * The column sets the customers services select (one place each, so a read and the view it feeds agree).
 * `addressFieldColumns` is also what other domains select when they need an address's fields: the payer's
 * billing data (src/transactions/create.ts) and the admin's customer page.
 */
export const addressFieldColumns = {
  country: addresses.country,
  state: addresses.state,
  city: addresses.city,
  line: addresses.line,
  buildingNumber: addresses.buildingNumber,
  apartmentNumber: addresses.apartmentNumber,
  postalCode: addresses.postalCode,
};

export const addressColumns = {
  id: addresses.id,
  customerId: addresses.customerId,
  ...addressFieldColumns,
  mainAddress: addresses.mainAddress,
};

/** The profile with its KYC status (customers left-joined to kyc_records). */
export const profileColumns = {
  customerId: customers.id,
  userId: customers.userId,
  firstName: customers.firstName,
  lastName: customers.lastName,
  phoneNumber: customers.phoneNumber,
  dob: customers.dob,
  isVerified: customers.isVerified,
  kycStatus: kycRecords.status,
};

export const kycColumns = {
  kycId: kycRecords.id,
  customerId: kycRecords.customerId,
  documentType: kycRecords.documentType,
  documentId: kycRecords.documentId,
  documentKey: kycRecords.documentKey,
  documentName: kycRecords.documentName,
  documentContentType: kycRecords.documentContentType,
  status: kycRecords.status,
  reviewedAt: kycRecords.reviewedAt,
  reviewedBy: kycRecords.reviewedBy,
  rejectionReason: kycRecords.rejectionReason,
};
