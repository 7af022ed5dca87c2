ALTER TABLE `transactions` ADD `reconcile_unknown_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `transactions` ADD `needs_attention_at` datetime(3);--> statement-breakpoint
ALTER TABLE `transactions` ADD `attention_reason` varchar(200);--> statement-breakpoint
CREATE INDEX `payment_events_outcome_received_idx` ON `payment_events` (`outcome`,`received_at`);--> statement-breakpoint
CREATE INDEX `transactions_needs_attention_idx` ON `transactions` (`needs_attention_at`);