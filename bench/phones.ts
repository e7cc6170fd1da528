// Phones of gateway sessions and of raw sessions never collide, so the simulator counts them apart.
export const GATEWAY_PHONES = '628110';
export const RAW_PHONES = '628120';
