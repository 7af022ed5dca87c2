ALTER TABLE `transactions` ADD `reconcile_unknown_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `transactions` ADD `needs_attention_at` datetime(3);--> statement-breakpoint
ALTER TABLE `transactions` ADD `attention_reason` varchar(200);--> statement-breakpoint
CREATE INDEX `transactions_needs_attention_idx` ON `transactions` (`needs_attention_at`);