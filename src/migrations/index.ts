import { InitialSchema1795600000000 } from "./1795600000000-initial-schema";
import { IncomingMessagesIndex1795700000000 } from "./1795700000000-incoming-messages-index";
import { ParkDisabledDeliveries1795800000000 } from "./1795800000000-park-disabled-deliveries";
import { InboxAndBotWebhooks1795900000000 } from "./1795900000000-inbox-and-bot-webhooks";
import { EventDataAsJson1796000000000 } from "./1796000000000-event-data-as-json";
import { PinFunctionSearchPath1796100000000 } from "./1796100000000-pin-function-search-path";
import { AttachmentContentType1796200000000 } from "./1796200000000-attachment-content-type";
import { AttemptFinalUrl1796210000000 } from "./1796210000000-attempt-final-url";
import { Teams1796400000000 } from "./1796400000000-teams";
import { MessageSideEffects1796410000000 } from "./1796410000000-message-side-effects";
import { SecretRotation1796500000000 } from "./1796500000000-secret-rotation";
import { BulkRecovery1796600000000 } from "./1796600000000-bulk-recovery";
import { OrderedDelivery1796700000000 } from "./1796700000000-ordered-delivery";
import { CaptureMessagesByTrigger1796800000000 } from "./1796800000000-capture-messages-by-trigger";
import { SideEffectsLockStrength1796900000000 } from "./1796900000000-side-effects-lock-strength";

export { InitialSchema1795600000000, IncomingMessagesIndex1795700000000, ParkDisabledDeliveries1795800000000, InboxAndBotWebhooks1795900000000, EventDataAsJson1796000000000, PinFunctionSearchPath1796100000000, AttachmentContentType1796200000000, AttemptFinalUrl1796210000000, Teams1796400000000, MessageSideEffects1796410000000, SecretRotation1796500000000, BulkRecovery1796600000000, OrderedDelivery1796700000000, CaptureMessagesByTrigger1796800000000, SideEffectsLockStrength1796900000000 };

/** Every migration, in order; spread into the host's DataSource `migrations`. */
export const MIGRATIONS = [InitialSchema1795600000000, IncomingMessagesIndex1795700000000, ParkDisabledDeliveries1795800000000, InboxAndBotWebhooks1795900000000, EventDataAsJson1796000000000, PinFunctionSearchPath1796100000000, AttachmentContentType1796200000000, AttemptFinalUrl1796210000000, Teams1796400000000, MessageSideEffects1796410000000, SecretRotation1796500000000, BulkRecovery1796600000000, OrderedDelivery1796700000000, CaptureMessagesByTrigger1796800000000, SideEffectsLockStrength1796900000000];
