ALTER TABLE `transactions` ADD `payment_methods` json;--> statement-breakpoint
ALTER TABLE `transactions` ADD `method_type` varchar(32);--> statement-breakpoint
ALTER TABLE `transactions` ADD `method_sub_type` varchar(64);--> statement-breakpoint
ALTER TABLE `transactions` ADD `method_pan` varchar(32);--> statement-breakpoint
ALTER TABLE `transactions` ADD `bill_reference` varchar(64);--> statement-breakpoint
ALTER TABLE `transactions` ADD `bill_expires_at` datetime(3);