import connector from '../../connectors/accounting.ts';
import { cold } from './_cold.ts';

export default cold(connector);
