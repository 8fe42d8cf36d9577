"""Models of the course, one module per idea.

* :mod:`mer_lessons.models.baselines`: the classical baselines the papers compare against
  (SVM, random forest, k-nearest neighbours, MLP on handcrafted features), cross-validated
  under subject- or clip-independent protocols, with a results table in the format of
  Hao et al.'s Table 3. Taught in ``05_metrics_and_classical_baselines``.

* :mod:`mer_lessons.models.hao`: Hao, Li & Wen's real-time fusion model: Eq. 5 alignment,
  the Eq. 1-3 dynamic sampler, the Fig. 1 lyrics + audio fusion network, per-modality
  autoencoders and fusion (Eq. 6-9), the Bi-LSTM recogniser with ablation switches (Eq. 10)
  and online adaptation; the paper's Table 4 and its seven ablation switches. Taught in
  ``08_hao_realtime_fusion``.

* :mod:`mer_lessons.models.sequence`: small GRU, Bi-GRU, CNN, LSTM + attention and CNN-RNN
  classifiers over feature sequences, standing in for the deep rows of Hao et al.'s Table 3
  (the paper gives no architectures for them).

Later chapters add the models of Zhao, Wang, Kirar and Liu et al. and the blocks they share.

Modules are imported on demand (``from mer_lessons.models import baselines``), so that
importing this package stays cheap.
"""
