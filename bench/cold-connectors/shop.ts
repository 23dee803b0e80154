import connector from '../../connectors/shop.ts';
import { cold } from './_cold.ts';

export default cold(connector);
