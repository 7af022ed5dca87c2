CREATE TABLE `events` (
	`id` varchar(40) NOT NULL,
	`type` varchar(64) NOT NULL,
	`object_type` varchar(32) NOT NULL,
	`object_id` varchar(64) NOT NULL,
	`data` mediumtext NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`dispatched_at` datetime(3),
	CONSTRAINT `events_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `webhook_attempts` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`delivery_id` bigint unsigned NOT NULL,
	`endpoint_id` varchar(40) NOT NULL,
	`attempt` int NOT NULL,
	`status` smallint,
	`duration_ms` int NOT NULL,
	`response_body` varchar(1024),
	`error` varchar(500),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `webhook_attempts_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`event_id` varchar(40) NOT NULL,
	`endpoint_id` varchar(40) NOT NULL,
	`state` enum('pending','delivered','failed') NOT NULL DEFAULT 'pending',
	`attempts` int NOT NULL DEFAULT 0,
	`next_attempt_at` datetime(3),
	`last_attempt_at` datetime(3),
	`delivered_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `webhook_deliveries_id` PRIMARY KEY(`id`),
	CONSTRAINT `webhook_deliveries_event_endpoint_unique` UNIQUE(`event_id`,`endpoint_id`)
);
--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` varchar(40) NOT NULL,
	`url` varchar(2048) NOT NULL,
	`description` varchar(255) NOT NULL DEFAULT '',
	`events` text NOT NULL,
	`enabled` boolean NOT NULL DEFAULT true,
	`secret_sealed` varchar(255) NOT NULL,
	`failing_since` datetime(3),
	`disabled_reason` varchar(200),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `webhook_endpoints_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `events_created_idx` ON `events` (`created_at`);--> statement-breakpoint
CREATE INDEX `events_type_created_idx` ON `events` (`type`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_object_idx` ON `events` (`object_type`,`object_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_dispatched_idx` ON `events` (`dispatched_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_attempts_delivery_idx` ON `webhook_attempts` (`delivery_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `webhook_attempts_endpoint_created_idx` ON `webhook_attempts` (`endpoint_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_created_idx` ON `webhook_deliveries` (`endpoint_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_state_next_idx` ON `webhook_deliveries` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_endpoints_created_idx` ON `webhook_endpoints` (`created_at`);