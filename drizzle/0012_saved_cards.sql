CREATE TABLE `card_save_requests` (
	`transaction_id` bigint unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `card_save_requests_transaction_id` PRIMARY KEY(`transaction_id`)
);
--> statement-breakpoint
CREATE TABLE `saved_cards` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`customer_id` bigint unsigned NOT NULL,
	`token_ciphertext` varchar(512) NOT NULL,
	`fingerprint` char(64) NOT NULL,
	`brand` varchar(32) NOT NULL,
	`last4` char(4) NOT NULL,
	`transaction_id` bigint unsigned,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `saved_cards_id` PRIMARY KEY(`id`),
	CONSTRAINT `saved_cards_customer_fingerprint_unique` UNIQUE(`customer_id`,`fingerprint`)
);
