ALTER TABLE `transactions` ADD `reconcile_after` datetime(3);--> statement-breakpoint
ALTER TABLE `transactions` ADD `reconcile_claim` char(26);