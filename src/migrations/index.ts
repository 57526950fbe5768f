import { InitialSchema1795600000000 } from "./1795600000000-initial-schema";

export { InitialSchema1795600000000 };

/** Every migration, in order; spread into the host's DataSource `migrations`. */
export const MIGRATIONS = [InitialSchema1795600000000];
