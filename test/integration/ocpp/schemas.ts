// zod views of the CSMS responses the integration tests read.
import { z } from 'zod';

export const BootNotificationResponse = z.object({ status: z.string(), interval: z.number(), currentTime: z.string() });
