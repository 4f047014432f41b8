//! Input resolution as a design choice (paper §4, Fig. 14 middle): every image of a dataset
//! resampled once, before training, to another square size.
//!
//! The filter is the antialiased bilinear ("triangle") filter of common image libraries: an
//! output pixel is the weighted mean of the input pixels under a triangle centred on it, as
//! wide as one input pixel when enlarging and as one output pixel when shrinking, so shrinking
//! averages every input pixel instead of skipping some. Resampling to the same size returns
//! the image unchanged; a constant image stays constant.

use super::{DataError, Dataset, ImageShape};

/// For each output position along one axis, the first input position and the weights (summing
/// to one) of the input positions from there.
fn axis_weights(n_in: usize, n_out: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = n_in as f64 / n_out as f64;
    let support = scale.max(1.0);
    (0..n_out)
        .map(|o| {
            let centre = (o as f64 + 0.5) * scale;
            let lo = (centre - support).floor().max(0.0) as usize;
            let hi = ((centre + support).ceil() as usize).min(n_in);
            let raw: Vec<f64> = (lo..hi)
                .map(|i| (1.0 - ((i as f64 + 0.5 - centre) / support).abs()).max(0.0))
                .collect();
            let total: f64 = raw.iter().sum();
            (lo, raw.iter().map(|w| (w / total) as f32).collect())
        })
        .collect()
}

/// One `C × H × W` image resampled to `C × side × side`.
fn resize_image(src: &[u8], shape: ImageShape, side: usize, out: &mut Vec<u8>) {
    let (h, w) = (shape.height, shape.width);
    let across = axis_weights(w, side);
    let down = axis_weights(h, side);
    let mut rows = vec![0f32; h * side];
    for c in 0..shape.channels {
        let plane = &src[c * h * w..(c + 1) * h * w];
        for y in 0..h {
            let row = &plane[y * w..(y + 1) * w];
            for (x, (lo, ws)) in across.iter().enumerate() {
                rows[y * side + x] = ws
                    .iter()
                    .zip(&row[*lo..])
                    .map(|(k, &v)| k * f32::from(v))
                    .sum();
            }
        }
        for (lo, ws) in &down {
            for x in 0..side {
                let v: f32 = ws
                    .iter()
                    .enumerate()
                    .map(|(j, k)| k * rows[(lo + j) * side + x])
                    .sum();
                out.push(v.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
}

impl Dataset {
    /// Every image resampled to `side × side` (see the module docs); labels, names and classes
    /// unchanged.
    ///
    /// ```
    /// use regnet_lab::data::{Dataset, ImageShape};
    /// let shape = ImageShape { channels: 1, height: 2, width: 2 };
    /// let d = Dataset::try_new("d", shape, vec![0, 100, 200, 60], vec![0], vec!["a".into()])?;
    /// let one = d.resized(1)?;
    /// assert_eq!(one.images(), &[90]); // the mean of the four pixels
    /// assert_eq!(d.resized(2)?, d); // same size: unchanged
    /// # Ok::<(), regnet_lab::data::DataError>(())
    /// ```
    pub fn resized(&self, side: usize) -> Result<Dataset, DataError> {
        if side == 0 {
            return Err(DataError::Invalid(format!(
                "{}: cannot resize to 0×0",
                self.name
            )));
        }
        let shape = ImageShape {
            channels: self.shape.channels,
            height: side,
            width: side,
        };
        if shape == self.shape {
            return Ok(self.clone());
        }
        let mut images = Vec::with_capacity(self.labels.len() * shape.len());
        for i in 0..self.labels.len() {
            let src = &self.images[i * self.shape.len()..(i + 1) * self.shape.len()];
            resize_image(src, self.shape, side, &mut images);
        }
        Dataset::try_new(
            self.name.clone(),
            shape,
            images,
            self.labels.clone(),
            self.class_names.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(shape: ImageShape, pixels: Vec<u8>) -> Dataset {
        Dataset::try_new("t", shape, pixels, vec![0], vec!["a".into()]).unwrap()
    }

    #[test]
    fn weights_sum_to_one_and_cover_every_input() {
        for (n_in, n_out) in [(28, 20), (28, 40), (28, 28), (7, 3), (3, 7)] {
            let ws = axis_weights(n_in, n_out);
            let mut reach = vec![0f32; n_in];
            for (lo, w) in &ws {
                assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                for (j, k) in w.iter().enumerate() {
                    reach[lo + j] += k;
                }
            }
            assert!(reach.iter().all(|&r| r > 0.0), "{n_in}→{n_out}: {reach:?}");
        }
    }

    #[test]
    fn constants_stay_and_means_are_kept() {
        let shape = ImageShape {
            channels: 2,
            height: 28,
            width: 28,
        };
        let mut pixels = vec![77u8; 28 * 28];
        pixels.extend((0..28 * 28).map(|i| ((i % 28) * 9) as u8));
        let d = one(shape, pixels);
        for side in [20, 40, 56, 14] {
            let r = d.resized(side).unwrap();
            let (c0, c1) = r.images().split_at(side * side);
            assert!(c0.iter().all(|&v| v == 77), "{side}");
            // A horizontal ramp keeps its mean (to rounding) and its direction.
            let mean = c1.iter().map(|&v| f64::from(v)).sum::<f64>() / c1.len() as f64;
            assert!((mean - 121.5).abs() < 1.0, "{side}: {mean}");
            assert!(c1[side - 1] > c1[0]);
        }
    }

    #[test]
    fn halving_weighs_by_the_triangle_and_renormalises_at_borders() {
        // Output pixel 0 of 2 sits at input 1.0 with a triangle of radius 2: inputs 0, 1, 2
        // weigh 0.75, 0.75, 0.25 (input −1 is outside and the rest renormalise).
        let ws = axis_weights(4, 2);
        let expect = [
            (0, [3.0 / 7.0, 3.0 / 7.0, 1.0 / 7.0]),
            (1, [1.0 / 7.0, 3.0 / 7.0, 3.0 / 7.0]),
        ];
        for ((lo, w), (elo, ew)) in ws.iter().zip(expect) {
            assert_eq!(*lo, elo);
            assert_eq!(w.len(), 3);
            for (a, b) in w.iter().zip(ew) {
                assert!((a - b).abs() < 1e-6, "{w:?}");
            }
        }
    }
}
