// Package colorize scores colorization outputs: colourfulness (Hasler &
// Süsstrunk 2003, M3), PSNR and SSIM against the ground-truth colour image,
// the Fréchet distance between feature sets (the FID formula), and the
// colorization reward of "Tuning Computer Vision Models With Task Rewards"
// (colourfulness kept honest by a luminance-similarity term).
//
// All image metrics work on 8-bit sRGB values 0..255 as stored in the file
// (no ICC or gamma handling), the convention of the reference fixtures
// (PIL convert("RGB")): gray images have R = G = B, alpha is dropped.
// JPEGs are decoded by Go's image/jpeg, whose chroma upsampling differs
// slightly from libjpeg's (PIL), so JPEG values can differ from PIL's by a
// level or so; PNGs are bit-identical.
package colorize
