import connector from '../../connectors/payments.ts';
import { cold } from './_cold.ts';

export default cold(connector);
