CREATE TABLE `addresses` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`customer_id` bigint unsigned NOT NULL,
	`country` char(2) NOT NULL DEFAULT 'EG',
	`state` varchar(50),
	`city` varchar(50),
	`line` varchar(50),
	`building_number` varchar(10),
	`apartment_number` varchar(10),
	`postal_code` varchar(20),
	`main_address` boolean NOT NULL DEFAULT false,
	`main_of` bigint unsigned GENERATED ALWAYS AS ((case when main_address then customer_id else null end)) STORED,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `addresses_id` PRIMARY KEY(`id`),
	CONSTRAINT `addresses_one_main` UNIQUE(`main_of`)
);
--> statement-breakpoint
CREATE TABLE `admin_sessions` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`session_hash` char(64) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`csrf_secret` char(64) NOT NULL,
	`ip_address` varchar(45),
	`user_agent` varchar(255),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`last_seen_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`expires_at` datetime(3) NOT NULL,
	`revoked_at` datetime(3),
	CONSTRAINT `admin_sessions_id` PRIMARY KEY(`id`),
	CONSTRAINT `admin_sessions_hash_unique` UNIQUE(`session_hash`)
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`actor_user_id` bigint unsigned,
	`action` varchar(64) NOT NULL,
	`target_type` varchar(32) NOT NULL,
	`target_id` varchar(64) NOT NULL,
	`details` json,
	`request_id` varchar(128),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `audit_log_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `customers` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`first_name` varchar(50),
	`last_name` varchar(50),
	`phone_number` varchar(16),
	`dob` date,
	`is_verified` boolean NOT NULL DEFAULT false,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `customers_id` PRIMARY KEY(`id`),
	CONSTRAINT `customers_user_unique` UNIQUE(`user_id`),
	CONSTRAINT `customers_phone_unique` UNIQUE(`phone_number`)
);
--> statement-breakpoint
CREATE TABLE `email_events` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`idempotency_key` varchar(191) NOT NULL,
	`kind` varchar(32) NOT NULL,
	`user_id` bigint unsigned,
	`recipient` varchar(254) NOT NULL,
	`subject` varchar(255) NOT NULL,
	`status` enum('queued','sent','delivered','failed') NOT NULL DEFAULT 'queued',
	`provider` varchar(16) NOT NULL,
	`provider_message_id` varchar(255),
	`attempts` int NOT NULL DEFAULT 0,
	`last_error` varchar(500),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`sent_at` datetime(3),
	`delivered_at` datetime(3),
	CONSTRAINT `email_events_id` PRIMARY KEY(`id`),
	CONSTRAINT `email_events_key_unique` UNIQUE(`idempotency_key`)
);
--> statement-breakpoint
CREATE TABLE `idempotency_records` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`scope` varchar(64) NOT NULL,
	`idempotency_key` varchar(255) NOT NULL,
	`request_hash` char(64) NOT NULL,
	`state` varchar(16) NOT NULL DEFAULT 'in_progress',
	`response_status` int,
	`response_body` text,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`completed_at` datetime(3),
	CONSTRAINT `idempotency_records_id` PRIMARY KEY(`id`),
	CONSTRAINT `idempotency_records_key_unique` UNIQUE(`user_id`,`scope`,`idempotency_key`)
);
--> statement-breakpoint
CREATE TABLE `kyc_records` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`customer_id` bigint unsigned NOT NULL,
	`document_type` enum('national_id','passport') NOT NULL DEFAULT 'national_id',
	`document_id` varchar(20),
	`document_key` varchar(100),
	`document_name` varchar(255),
	`document_content_type` varchar(64),
	`document_size` int,
	`status` enum('pending','approved','rejected') NOT NULL DEFAULT 'pending',
	`rejection_reason` varchar(500),
	`reviewed_at` datetime(3),
	`reviewed_by` bigint unsigned,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `kyc_records_id` PRIMARY KEY(`id`),
	CONSTRAINT `kyc_records_customer_unique` UNIQUE(`customer_id`)
);
--> statement-breakpoint
CREATE TABLE `payment_events` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`transaction_id` bigint unsigned,
	`paymob_transaction_id` bigint NOT NULL,
	`kind` varchar(32) NOT NULL,
	`source` varchar(32) NOT NULL,
	`type` varchar(32) NOT NULL,
	`merchant_order_id` varchar(64),
	`paymob_order_id` bigint,
	`amount_cents` bigint,
	`currency` char(3),
	`success` boolean,
	`pending` boolean,
	`is_refunded` boolean,
	`is_voided` boolean,
	`has_parent_transaction` boolean,
	`outcome` varchar(16) NOT NULL,
	`message` varchar(500),
	`raw_body` json NOT NULL,
	`received_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `payment_events_id` PRIMARY KEY(`id`),
	CONSTRAINT `payment_events_paymob_kind_unique` UNIQUE(`paymob_transaction_id`,`kind`)
);
--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`family_id` char(26) NOT NULL,
	`token_hash` char(64) NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`revoked_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `refresh_tokens_id` PRIMARY KEY(`id`),
	CONSTRAINT `refresh_tokens_hash_unique` UNIQUE(`token_hash`)
);
--> statement-breakpoint
CREATE TABLE `transactions` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`customer_id` bigint unsigned NOT NULL,
	`merchant_order_id` varchar(40) NOT NULL,
	`amount_cents` bigint NOT NULL,
	`currency` char(3) NOT NULL,
	`status` enum('initiated','pending','succeeded','failed','expired','refunded','voided') NOT NULL DEFAULT 'initiated',
	`paymob_order_id` bigint,
	`paymob_transaction_id` bigint,
	`api_mode` varchar(16) NOT NULL DEFAULT 'legacy',
	`payment_token` text,
	`checkout_url` varchar(2048),
	`payment_key_expires_at` datetime(3),
	`failure_reason` varchar(500),
	`refunded_cents` bigint NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `transactions_id` PRIMARY KEY(`id`),
	CONSTRAINT `transactions_merchant_order_unique` UNIQUE(`merchant_order_id`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`username` varchar(150) NOT NULL,
	`email` varchar(254) NOT NULL,
	`password_hash` varchar(255) NOT NULL,
	`role_management` enum('ADMIN','STAFF','CUSTOMER') NOT NULL DEFAULT 'CUSTOMER',
	`is_active` boolean NOT NULL DEFAULT false,
	`is_staff` boolean NOT NULL DEFAULT false,
	`date_joined` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`last_login` datetime(3),
	`tokens_valid_after` datetime(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `users_id` PRIMARY KEY(`id`),
	CONSTRAINT `users_username_unique` UNIQUE(`username`),
	CONSTRAINT `users_email_unique` UNIQUE(`email`)
);
--> statement-breakpoint
CREATE TABLE `verification_codes` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`code_hash` char(64) NOT NULL,
	`attempts` int NOT NULL DEFAULT 0,
	`expires_at` datetime(3) NOT NULL,
	`used_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `verification_codes_id` PRIMARY KEY(`id`),
	CONSTRAINT `verification_codes_user_unique` UNIQUE(`user_id`)
);
--> statement-breakpoint
CREATE TABLE `webhook_tokens` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`provider` varchar(16) NOT NULL,
	`token` varchar(128) NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `webhook_tokens_id` PRIMARY KEY(`id`),
	CONSTRAINT `webhook_tokens_unique` UNIQUE(`provider`,`token`)
);
--> statement-breakpoint
CREATE INDEX `addresses_customer_idx` ON `addresses` (`customer_id`);--> statement-breakpoint
CREATE INDEX `admin_sessions_user_idx` ON `admin_sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `admin_sessions_expires_idx` ON `admin_sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `audit_log_target_idx` ON `audit_log` (`target_type`,`target_id`);--> statement-breakpoint
CREATE INDEX `audit_log_actor_idx` ON `audit_log` (`actor_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_action_idx` ON `audit_log` (`action`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_created_idx` ON `audit_log` (`created_at`);--> statement-breakpoint
CREATE INDEX `customers_created_idx` ON `customers` (`created_at`);--> statement-breakpoint
CREATE INDEX `customers_verified_idx` ON `customers` (`is_verified`);--> statement-breakpoint
CREATE INDEX `email_events_provider_message_idx` ON `email_events` (`provider_message_id`);--> statement-breakpoint
CREATE INDEX `email_events_status_created_idx` ON `email_events` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `email_events_recipient_idx` ON `email_events` (`recipient`);--> statement-breakpoint
CREATE INDEX `email_events_created_idx` ON `email_events` (`created_at`);--> statement-breakpoint
CREATE INDEX `idempotency_records_created_idx` ON `idempotency_records` (`created_at`);--> statement-breakpoint
CREATE INDEX `kyc_records_status_idx` ON `kyc_records` (`status`);--> statement-breakpoint
CREATE INDEX `payment_events_transaction_idx` ON `payment_events` (`transaction_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `payment_events_merchant_order_idx` ON `payment_events` (`merchant_order_id`);--> statement-breakpoint
CREATE INDEX `payment_events_received_idx` ON `payment_events` (`received_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_idx` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family_idx` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_expires_idx` ON `refresh_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `transactions_customer_created_idx` ON `transactions` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `transactions_status_created_idx` ON `transactions` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `transactions_created_idx` ON `transactions` (`created_at`);--> statement-breakpoint
CREATE INDEX `transactions_paymob_order_idx` ON `transactions` (`paymob_order_id`);--> statement-breakpoint
CREATE INDEX `transactions_paymob_txn_idx` ON `transactions` (`paymob_transaction_id`);--> statement-breakpoint
CREATE INDEX `users_role_idx` ON `users` (`role_management`);--> statement-breakpoint
CREATE INDEX `users_active_idx` ON `users` (`is_active`);--> statement-breakpoint
CREATE INDEX `users_date_joined_idx` ON `users` (`date_joined`);--> statement-breakpoint
CREATE INDEX `verification_codes_expires_idx` ON `verification_codes` (`expires_at`);--> statement-breakpoint
CREATE INDEX `webhook_tokens_created_idx` ON `webhook_tokens` (`created_at`);