// The root of GraphQL subscriptions; each field lives in its own subscription-*.ts file.
import { builder } from '../builder.ts';

builder.subscriptionType({});
