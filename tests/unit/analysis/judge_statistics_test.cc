// Kayenta's StatisticSuite, TransformSuite and DetectorSuite (kayenta-judge), for the parts the
// judge uses: summary statistics, R-7 percentiles, mean ratio and CLES effect sizes, NaN handling
// and IQR outlier detection. (KSigma and Cohen's d are not used by NetflixACAJudge-v1.0.)
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/judge/statistics.h"

namespace vane::judge {
namespace {

TEST(KayentaStatisticSuite, SummaryScalarListAndNoData) {
  const std::vector<double> one = {4.0};
  SampleStats s = summarize(one);
  EXPECT_EQ(4.0, s.min);
  EXPECT_EQ(4.0, s.max);
  EXPECT_EQ(4.0, s.mean);
  EXPECT_EQ(0.0, s.std);
  EXPECT_EQ(1u, s.count);
  const std::vector<double> list = {1.0, 1.0, 1.0, 10.0, 10.0, 10.0};
  s = summarize(list);
  EXPECT_EQ(1.0, s.min);
  EXPECT_EQ(10.0, s.max);
  EXPECT_EQ(5.5, s.mean);
  EXPECT_NEAR(4.9295, s.std, 1e-4);
  EXPECT_EQ(6u, s.count);
  s = summarize(std::vector<double>{});
  EXPECT_EQ(0.0, s.min);
  EXPECT_EQ(0.0, s.mean);
  EXPECT_EQ(0u, s.count);
}

TEST(KayentaStatisticSuite, Percentiles) {
  const std::vector<double> basic = {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5};
  EXPECT_NEAR(0.175, percentile(basic, 5), 1e-4);
  EXPECT_EQ(1.75, percentile(basic, 50));
  EXPECT_EQ(3.5, percentile(basic, 100));
  EXPECT_EQ(4.5, percentile(std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 50));
  const std::vector<double> nist = {95.1772, 95.1567, 95.1937, 95.1959, 95.1442, 95.0610,
                                    95.1591, 95.1195, 95.1772, 95.0925, 95.1990, 95.1682};
  EXPECT_NEAR(95.19568, percentile(nist, 90), 1e-12);
  EXPECT_EQ(1.0, percentile(std::vector<double>{1.0}, 100));
  const std::vector<double> interp = {0.07142857142857144,
                                      0.02083333333333332,
                                      0.16666666666666666,
                                      0.03448275862068966,
                                      0.038461538461538464,
                                      0.03225806451612904,
                                      0.027777777777777773,
                                      0.0,
                                      0.23076923076923078,
                                      0.10344827586206898,
                                      0.04545454545454542,
                                      0.0,
                                      0.028571428571428564,
                                      0.0,
                                      0.0,
                                      0.04,
                                      0.0,
                                      0.0,
                                      0.05128205128205127,
                                      0.10714285714285716,
                                      0.0263157894736842,
                                      0.04166666666666667,
                                      0.09523809523809522,
                                      0.02941176470588235,
                                      0.024999999999999984,
                                      0.0,
                                      0.0,
                                      0.023809523809523794,
                                      0.0,
                                      0.02564102564102563,
                                      0.0,
                                      0.0,
                                      0.028571428571428564,
                                      0.07142857142857144,
                                      0.047619047619047596,
                                      0.021276595744680833,
                                      0.02564102564102563,
                                      0.03125,
                                      0.03125,
                                      0.03125,
                                      0.11363636363636356,
                                      0.03571428571428572,
                                      0.0,
                                      0.02777777777777777,
                                      0.0,
                                      0.0,
                                      0.055555555555555546,
                                      0.028571428571428564,
                                      0.03225806451612904};
  EXPECT_EQ(0.0, percentile(interp, 25));
  EXPECT_NEAR(0.0416, percentile(interp, 75), 1e-4);
}

TEST(KayentaStatisticSuite, MeanRatio) {
  const std::vector<double> ones(5, 1.0), tens(5, 10.0), hundreds(5, 100.0), zeros(5, 0.0);
  EXPECT_EQ(1.0, meanRatio(ones, ones));
  EXPECT_EQ(10.0, meanRatio(ones, tens));
  EXPECT_EQ(0.1, meanRatio(hundreds, tens));
  EXPECT_TRUE(std::isnan(meanRatio(zeros, tens)));
}

TEST(KayentaStatisticSuite, Cles) {
  const std::vector<double> same = {1.0, 2.0, 3.0, 4.0, 5.0};
  EXPECT_EQ(0.5, cles(same, same));
  const std::vector<double> low = {2.27776335, 2.61149434, 3.26894105, 2.91672701, 1.40656921,
                                   2.18292082, 3.47901292, 3.00034118, 3.02402043, 4.69912745};
  const std::vector<double> high = {25.31531073, 25.19450817, 24.6288846,  24.37991861,
                                    26.40999244, 25.28524759, 24.99788745, 26.13841676,
                                    22.93604649, 24.56817832};
  EXPECT_EQ(0.0, cles(high, low));
  const std::vector<double> exp_high = {
      29.17644856, 25.16947646, 25.88467948, 29.4900454,  27.05622757, 26.13307864,
      27.2711558,  26.69139944, 29.05412377, 26.39818697, 26.68312641, 24.99600187,
      27.99524816, 22.57278291, 23.72798196, 25.82821505, 28.26624521, 28.02370228,
      24.1792213,  26.02914828, 25.90970275, 31.18337461, 27.44254942, 29.93347686,
      26.70848069, 28.12191913, 27.39257837, 30.17636627, 29.60240485, 30.10635388};
  const std::vector<double> ctl_high = {
      24.69397578, 25.37120574, 25.86186148, 26.93804252, 22.72232309, 24.15894084,
      24.80842752, 26.07830794, 27.35323988, 23.25110886, 24.65909111, 23.88299016,
      21.34817847, 26.33198082, 23.39498829, 26.6734461,  25.33769589, 23.92348759,
      25.29740715, 24.21381887, 28.1697053,  22.2271772,  27.16612837, 25.16639243,
      26.85955896, 27.13421926, 25.43350074, 26.32130314, 23.8854011,  27.86180318};
  EXPECT_NEAR(0.771, cles(ctl_high, exp_high), 0.001);
  const std::vector<double> exp_low = {
      22.58442682, 18.83161858, 22.34282944, 18.52177725, 19.41399147, 21.77120485,
      24.33796385, 22.16390531, 23.781802,   21.38514296, 22.2205035,  22.06152361,
      21.30313392, 21.59652134, 22.38394223, 24.68882792, 20.58916439, 21.03137302,
      22.26213957, 23.76485986, 20.56271226, 24.56567102, 19.86055958, 22.18967677,
      20.31475409, 19.2634656,  24.60283585, 20.41729998, 20.62069798, 22.53448767};
  const std::vector<double> ctl_low = {
      23.15322873, 22.09179077, 26.56410603, 23.0971542,  24.26372276, 25.6461273,
      29.42730472, 22.08630097, 29.15257054, 25.8096766,  24.62191338, 23.67398895,
      23.63946085, 26.44684325, 25.76230914, 25.41279862, 22.64005862, 24.58898152,
      25.01968457, 25.03695883, 23.79864705, 26.60180151, 25.99405034, 22.46726084,
      28.31843786, 24.30152484, 22.83713467, 21.92380184, 23.44735223, 29.15676219};
  EXPECT_EQ(0.12, cles(ctl_low, exp_low));
}

TEST(KayentaTransformSuite, NaNs) {
  EXPECT_EQ((std::vector<double>{0.0, 1.0, 1.0, 0.0}),
            removeNaNs(std::vector<double>{0.0, 1.0, NAN, 1.0, 0.0}));
  EXPECT_TRUE(removeNaNs(std::vector<double>{NAN, NAN, NAN}).empty());
  EXPECT_EQ((std::vector<double>{0.0, 10.10, 20.20, 30.30, 0.0, 40.40}),
            replaceNaNs(std::vector<double>{NAN, 10.10, 20.20, 30.30, NAN, 40.40}));
}

TEST(KayentaTransformSuite, IqrOutlierRemoval) {
  const std::vector<double> data = {21.0, 23.0, 24.0, 25.0, 50.0, 29.0, 23.0, 21.0};
  EXPECT_EQ((std::vector<double>{21.0, 23.0, 24.0, 25.0, 29.0, 23.0, 21.0}),
            removeOutliersIqr(data, 1.5, false));
}

TEST(KayentaDetectorSuite, Iqr) {
  EXPECT_EQ((std::vector<bool>{false, false, false, false, true, false, false, false}),
            detectOutliersIqr(std::vector<double>{21, 23, 24, 25, 50, 29, 23, 21}, 1.5, false));
  EXPECT_EQ((std::vector<bool>{false, false, false, true, false, false, false, true}),
            detectOutliersIqr(std::vector<double>{1, 1, 1, 5, -1, -1, -1, -5}, 1.5, false));
  EXPECT_TRUE(detectOutliersIqr(std::vector<double>{}, 1.5, false).empty());
  const std::vector<double> nist = {
      30,  171, 184, 201, 212, 250, 265, 270, 272, 289, 305, 306, 322, 322, 336,  346,  351,  370,
      390, 404, 409, 411, 436, 437, 439, 441, 444, 448, 451, 453, 470, 480, 482,  487,  494,  495,
      499, 503, 514, 521, 522, 527, 548, 550, 559, 560, 570, 572, 574, 578, 585,  592,  592,  607,
      616, 618, 621, 629, 637, 638, 640, 656, 668, 707, 709, 719, 737, 739, 752,  758,  766,  792,
      792, 794, 802, 818, 830, 832, 843, 858, 860, 869, 918, 925, 953, 991, 1000, 1005, 1068, 1441};
  std::vector<bool> truth(nist.size(), false);
  truth.back() = true;
  EXPECT_EQ(truth, detectOutliersIqr(nist, 1.5, false));
}

TEST(JudgeStatistics, ReducedSensitivityWidensTheFencesToP1AndP99) {
  // Q1 3.25, Q3 7.75: with factor 0.1 the plain fences [2.8, 8.2] drop 1, 2, 9 and 100; Kayenta's
  // judge widens them to [P1 1.09, P99 91.81], dropping only 1 and 100.
  const std::vector<double> data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 100};
  EXPECT_EQ((std::vector<double>{3, 4, 5, 6, 7, 8}), removeOutliersIqr(data, 0.1, false));
  EXPECT_EQ((std::vector<double>{2, 3, 4, 5, 6, 7, 8, 9}), removeOutliersIqr(data, 0.1, true));
}

}  // namespace
}  // namespace vane::judge
