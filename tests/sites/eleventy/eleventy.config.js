// An Eleventy site written for feedsvc's tests (issue 13). Never run by feedsvc.
export default function (eleventyConfig) {
  eleventyConfig.addPassthroughCopy("blog/**/*.png");
}
