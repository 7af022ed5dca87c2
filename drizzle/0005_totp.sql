CREATE TABLE `totp_recovery_codes` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`code_hash` char(64) NOT NULL,
	`used_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `totp_recovery_codes_id` PRIMARY KEY(`id`),
	CONSTRAINT `totp_recovery_codes_user_hash_unique` UNIQUE(`user_id`,`code_hash`)
);
--> statement-breakpoint
CREATE TABLE `user_totp` (
	`user_id` bigint unsigned NOT NULL,
	`secret_ciphertext` varchar(255) NOT NULL,
	`confirmed_at` datetime(3),
	`last_used_step` bigint unsigned,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `user_totp_user_id` PRIMARY KEY(`user_id`)
);
