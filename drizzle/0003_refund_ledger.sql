CREATE TABLE `payment_reversals` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`transaction_id` bigint unsigned NOT NULL,
	`paymob_child_id` bigint,
	`kind` varchar(8) NOT NULL,
	`amount_cents` bigint NOT NULL,
	`state` enum('reserved','applied','released','unknown') NOT NULL,
	`settled_by_child_id` bigint,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `payment_reversals_id` PRIMARY KEY(`id`),
	CONSTRAINT `payment_reversals_child_unique` UNIQUE(`paymob_child_id`)
);
--> statement-breakpoint
ALTER TABLE `transactions` ADD `paymob_refunded_cents` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `transactions` ADD `held_cents` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `payment_reversals_transaction_idx` ON `payment_reversals` (`transaction_id`,`state`);