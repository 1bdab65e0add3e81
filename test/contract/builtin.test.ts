import { helpdeskContract } from './helpdesk-contract.ts';
import { builtinTarget } from './targets.ts';

helpdeskContract(builtinTarget);
