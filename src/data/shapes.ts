/** The shapes every MNIST-style data set, model and tensor here shares. */

/** Image height and width in pixels. */
export const IMAGE_ROWS = 28;
export const IMAGE_COLS = 28;
/** Pixels of one flattened image (the models' input width). */
export const IMAGE_SIZE = IMAGE_ROWS * IMAGE_COLS;
/** Classes (the models' output width). */
export const NUM_CLASSES = 10;
