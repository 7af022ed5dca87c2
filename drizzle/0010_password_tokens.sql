CREATE TABLE `password_tokens` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`purpose` enum('set_password','reset') NOT NULL,
	`token_hash` char(64) NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`used_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `password_tokens_id` PRIMARY KEY(`id`),
	CONSTRAINT `password_tokens_hash_unique` UNIQUE(`token_hash`)
);
--> statement-breakpoint
CREATE INDEX `password_tokens_user_idx` ON `password_tokens` (`user_id`,`purpose`);--> statement-breakpoint
CREATE INDEX `password_tokens_expires_idx` ON `password_tokens` (`expires_at`);