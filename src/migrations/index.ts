import { InitialSchema1795600000000 } from "./1795600000000-initial-schema";
import { IncomingMessagesIndex1795700000000 } from "./1795700000000-incoming-messages-index";
import { ParkDisabledDeliveries1795800000000 } from "./1795800000000-park-disabled-deliveries";

export { InitialSchema1795600000000, IncomingMessagesIndex1795700000000, ParkDisabledDeliveries1795800000000 };

/** Every migration, in order; spread into the host's DataSource `migrations`. */
export const MIGRATIONS = [InitialSchema1795600000000, IncomingMessagesIndex1795700000000, ParkDisabledDeliveries1795800000000];
