CREATE TABLE `payment_link_payments` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`transaction_id` bigint unsigned NOT NULL,
	`payment_link_id` bigint unsigned NOT NULL,
	`counted` boolean NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `payment_link_payments_id` PRIMARY KEY(`id`),
	CONSTRAINT `payment_link_payments_transaction_unique` UNIQUE(`transaction_id`)
);
--> statement-breakpoint
CREATE TABLE `payment_links` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`public_id` varchar(32) NOT NULL,
	`amount_cents` bigint NOT NULL,
	`currency` char(3) NOT NULL,
	`description` varchar(255) NOT NULL,
	`customer_email` varchar(254),
	`merchant_reference` varchar(64),
	`single_use` boolean NOT NULL DEFAULT true,
	`status` enum('active','paid','deactivated') NOT NULL DEFAULT 'active',
	`expires_at` datetime(3) NOT NULL,
	`paid_count` int NOT NULL DEFAULT 0,
	`paid_at` datetime(3),
	`paid_transaction_id` bigint unsigned,
	`created_by_user_id` bigint unsigned,
	`created_by_api_key_id` bigint unsigned,
	`deactivated_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `payment_links_id` PRIMARY KEY(`id`),
	CONSTRAINT `payment_links_public_id_unique` UNIQUE(`public_id`)
);
--> statement-breakpoint
ALTER TABLE `transactions` MODIFY COLUMN `customer_id` bigint unsigned;--> statement-breakpoint
ALTER TABLE `transactions` ADD `payment_link_id` bigint unsigned;--> statement-breakpoint
CREATE INDEX `payment_link_payments_link_idx` ON `payment_link_payments` (`payment_link_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `payment_links_created_idx` ON `payment_links` (`created_at`);--> statement-breakpoint
CREATE INDEX `payment_links_status_created_idx` ON `payment_links` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `transactions_payment_link_idx` ON `transactions` (`payment_link_id`,`created_at`);