ALTER TABLE `payment_events` ADD `event_id` varchar(40);--> statement-breakpoint
ALTER TABLE `payment_events` ADD `event_type` varchar(64);--> statement-breakpoint
ALTER TABLE `payment_events` ADD `event_data` mediumtext;--> statement-breakpoint
ALTER TABLE `payment_events` ADD `event_at` datetime(3);--> statement-breakpoint
ALTER TABLE `payment_events` ADD CONSTRAINT `payment_events_event_unique` UNIQUE(`event_id`);--> statement-breakpoint
CREATE INDEX `payment_events_event_at_idx` ON `payment_events` (`event_at`);