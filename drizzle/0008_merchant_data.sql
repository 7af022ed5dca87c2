ALTER TABLE `transactions` ADD `merchant_reference` varchar(64) character set utf8mb4 collate utf8mb4_bin;--> statement-breakpoint
ALTER TABLE `transactions` ADD `metadata` json;--> statement-breakpoint
ALTER TABLE `transactions` ADD `description` varchar(255);--> statement-breakpoint
ALTER TABLE `transactions` ADD `return_url` varchar(2048);--> statement-breakpoint
ALTER TABLE `transactions` ADD CONSTRAINT `transactions_customer_reference_unique` UNIQUE(`customer_id`,`merchant_reference`);