ALTER TABLE `refresh_tokens` ADD `login_at` datetime(3);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_login_idx` ON `refresh_tokens` (`user_id`,`login_at`);--> statement-breakpoint
DROP INDEX `refresh_tokens_user_idx` ON `refresh_tokens`;
