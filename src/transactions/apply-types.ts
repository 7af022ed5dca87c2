import type { TransactionStatus } from '../db/schema';
import type { PaymobTransactionFacts } from '../paymob/events';
import type { ChildApplication } from './ledger';

/** The input and result types of applyPaymentEvent (src/transactions/apply-event.ts). */

/** `api_response`: PayMob's own answer to our refund or void call (the child transaction it created). */
export type EventSource = 'processed_callback' | 'response_callback' | 'inquiry' | 'api_response';
export type EventOutcome = 'applied' | 'ignored' | 'unmatched' | 'anomaly' | 'unconfirmed';

export interface PaymentEventInput {
  source: EventSource;
  /** PayMob's callback type (`TRANSACTION`), or `INQUIRY`, `REFUND`, `VOID` for our own calls' answers. */
  type: string;
  facts: PaymobTransactionFacts;
  /** Stored as received (the processed callback's JSON, the redirect's query). */
  rawBody: unknown;
  /** For our own refund call's answer: the reservation it settles (src/transactions/ledger.ts). */
  reservation?: { id: number; amountCents: number };
}

export interface AppliedTransaction {
  id: number;
  merchantOrderId: string;
  status: TransactionStatus;
  amountCents: number;
  currency: string;
  failureReason: string | null;
}

export interface ApplyEventResult {
  outcome: EventOutcome;
  /** The same event was stored before (a redelivery): nothing new was stored. */
  duplicate: boolean;
  changed: boolean;
  /** The transaction as this event left it (absent when unmatched). */
  transaction?: AppliedTransaction;
  /** For a reversal child: what the ledger did. */
  reversal?: ChildApplication;
}
